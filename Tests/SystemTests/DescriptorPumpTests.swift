import System
import Synchronization
import Testing

@Suite struct DescriptorPumpTests {
    @Test func theStreamDeliversEveryByteAndFinishesAtEndOfFile() async throws {
        let pipe = try Pipe()
        let sent = patternBytes(3 << 20 + 7)
        let writer = pipe.writeEnd
        startThread {
            // Uneven writes, so chunks do not line up with the reader's buffer.
            var offset = 0
            var step = 1
            while offset < sent.count {
                let end = min(offset + step, sent.count)
                try? writer.writeAll(sent[offset..<end])
                offset = end
                step = step * 3 % 100_003 + 1
            }
            writer.close()
        }
        var received: [UInt8] = []
        for await chunk in DescriptorPump.stream(pipe.readEnd, chunkSize: 4096) {
            #expect(!chunk.isEmpty && chunk.count <= 4096)
            received += chunk
        }
        #expect(received == sent)
        #expect(!pipe.readEnd.isOpen)
    }

    @Test func drainReturnsOnceTheWritersAreGone() async throws {
        let pipe = try Pipe()
        let collected = Mutex<[UInt8]>([])
        let writer = pipe.writeEnd
        startThread {
            for i in 0..<100 { try? writer.writeAll("line \(i)\n") }
            writer.close()
        }
        await DescriptorPump.drain(pipe.readEnd) { chunk in collected.withLock { $0 += chunk } }
        let text = collected.withLock { String(decoding: $0, as: UTF8.self) }
        #expect(text.split(separator: "\n").count == 100)
        #expect(text.hasSuffix("line 99\n"))
    }
}
