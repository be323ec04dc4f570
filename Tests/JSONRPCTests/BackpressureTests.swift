import EstibaJSON
import Foundation
import JSONRPC
import Synchronization
import Testing

/// A client that stops reading holds up no task that sends it notifications: small messages are written by their
/// sender only when the client has room for them, else queued for the writer thread.
@Suite struct BackpressureTests {
    /// `flood` sends `count` small notifications from its task, then answers.
    final class Flooder: RPCHandler {
        let count: Int
        let sent = Mutex(false)
        init(count: Int) { self.count = count }

        func handle(_ request: RPCRequest, context: RPCContext) -> RPCOutcome {
            .deferred { [self] ctx in
                for i in 0..<count { ctx.notify("tick", ["i": .int(Int64(i))]) }
                sent.withLock { $0 = true }
                return .success(true)
            }
        }
    }

    @Test func aClientThatStopsReadingHoldsUpNoSender() async throws {
        var toServer: [Int32] = [-1, -1]
        var toClient: [Int32] = [-1, -1]
        #expect(pipe(&toServer) == 0 && pipe(&toClient) == 0)
        // Far more than a pipe holds (64 KiB): the client reads nothing until the sender is done.
        let handler = Flooder(count: 20_000)
        let server = RPCServer(handler: handler)
        let (input, output) = (toServer[0], toClient[1])
        let serving = Task { await server.serveStdio(input: input, output: output) }
        let request = Array(#"{"jsonrpc":"2.0","id":1,"method":"flood"}"#.utf8) + [0x0A]
        #expect(write(toServer[1], request, request.count) == request.count)
        var waited = 0
        while !handler.sent.withLock({ $0 }), waited < 3_000 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(handler.sent.withLock { $0 }, "the sender was held up by a client that does not read")
        close(toServer[1])
        // Then everything arrives, in order, and the answer last.
        let reader = FileHandle(fileDescriptor: toClient[0], closeOnDealloc: true)
        var lines: [Substring] = []
        var buffer = Data()
        while lines.count < 20_001 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            guard let last = text.lastIndex(of: "\n") else { continue }
            lines += text[..<last].split(separator: "\n")
            buffer = Data(text[text.index(after: last)...].utf8)
        }
        #expect(lines.count == 20_001)
        let ticks = lines.dropLast().compactMap { try? JSONValue.parse(String($0))["params"]?["i"]?.intValue }
        #expect(ticks == (0..<20_000).map(Int64.init))
        #expect(lines.last?.contains(#""id":1"#) == true)
        _ = await serving.value
        close(toServer[0])
        close(toClient[1])
    }
}
