import EstibaJSON
import Foundation
import Glibc
import Testing

@Suite struct SocketServiceTests {
    @Test func socketLifecycle() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("estiba.sock").path

        // A stale socket file (nobody listening) is replaced.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = SocketClient.address(path)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))

        let service = try SocketService(path: path)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)

        // A live socket is refused with a clear message.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Paths.estiba)
        second.arguments = ["serve", "--socket", path]
        let err = Pipe()
        second.standardError = err
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("already listening on \(path)"))

        let c = try service.client()
        #expect(try c.call("initialize")["result"]?["name"] == "estiba")

        // SIGTERM stops cleanly and removes the socket.
        #expect(try service.terminate(signal: SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func sigintAlsoStopsCleanly() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("s.sock").path)
        #expect(try service.terminate(signal: SIGINT) == 0)
        #expect(!FileManager.default.fileExists(atPath: service.path))
    }

    @Test func hostileInputNeverKillsTheService() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("h.sock").path)
        let watcher = try service.client()

        // Garbage bytes and invalid UTF-8: parse errors, and the connection keeps working.
        let a = try service.client()
        a.send(bytes: [0x00, 0x01, 0xFF, 0xFE, 0x20, 0x67, 0x0A])
        #expect(try a.reader.json()?.errorCode == -32700)
        a.send(bytes: Array(#"{"jsonrpc":"2.0","id":1,"method":"parse","params":{"text":""#.utf8) + [0xC3, 0x28] + Array("\"}}\n".utf8))
        #expect(try a.reader.json()?.errorCode == -32700)
        a.sendLine(String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000))
        #expect(try a.reader.json()?.errorCode == -32700)
        a.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"a":"#
            + String(repeating: "{\"a\":", count: 5000) + "1" + String(repeating: "}", count: 5000) + "}}")
        #expect(try a.reader.json()?.errorCode == -32700)
        #expect(try a.call("initialize", id: 3)["id"] == 3)

        // A line over the 64 MiB limit: an error, then the connection goes on.
        let big = [UInt8](repeating: 0x61, count: (64 << 20) + 100)
        a.send(bytes: Array(#"{"jsonrpc":"2.0","id":4,"method":"parse","params":{"text":""#.utf8) + big + Array("\"}}\n".utf8))
        let tooLarge = try #require(try a.reader.json(timeout: 60))
        #expect(tooLarge.errorCode == -32004)
        #expect(try a.call("initialize", id: 5)["id"] == 5)

        // An absurd Content-Length: an error, then the connection is closed (framing is lost).
        let b = try service.client()
        b.send("Content-Length: 99999999999999999\r\n\r\n{}")
        let absurd = try #require(try b.reader.frame())
        #expect(absurd.errorCode == -32004)
        #expect(try b.reader.waitForEOF())

        // A malformed header: parse error and close.
        let h = try service.client()
        h.send("Content-Length: twelve\r\n\r\n")
        #expect(try h.reader.frame()?.errorCode == -32700)
        #expect(try h.reader.waitForEOF())

        // Truncated frames: the client goes away mid-message.
        for _ in 0..<20 {
            let t = try service.client()
            t.send("Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",")
        }
        let t2 = try service.client()
        t2.send(#"{"jsonrpc":"2.0","id":1,"method":"par"#)
        t2.shutdownWrite()
        #expect(try t2.reader.waitForEOF())

        // Random bytes in bulk.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let r = try service.client()
            r.send(bytes: (0..<(256 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            r.shutdownWrite()
            _ = try r.reader.waitForEOF(timeout: 30)
        }

        // The service still answers everyone.
        #expect(try watcher.call("initialize", id: 99)["result"]?["name"] == "estiba")
        #expect(try service.client().call("parse", ["text": "FROM a"])["result"] != nil)
        #expect(service.process.isRunning)
    }

    @Test func slowRequestDoesNotBlockParseAndCanBeCancelled() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("c.sock").path)
        let c = try service.client()
        // Millions of lines: slow to parse, small to answer.
        let slowText = String(repeating: "\n", count: 1_500_000) + "FROM a\n"
        c.sendLine(request(1, "parse", ["text": .string(slowText)]))
        c.sendLine(request(2, "parse", ["text": "FROM b"]))
        let first = try #require(try c.reader.json())
        #expect(first["id"] == 2)
        let second = try #require(try c.reader.json(timeout: 120))
        #expect(second["id"] == 1)
        #expect(second["result"]?["instructions"]?.arrayValue?.count == 1)

        // The same request cancelled: it answers RequestCancelled, and the connection goes on.
        c.sendLine(request(3, "parse", ["text": .string(slowText)]))
        c.sendLine(request(4, "parse", ["text": "FROM b"]))
        #expect(try c.reader.json()?["id"] == 4)
        c.sendLine(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}"#)
        let cancelled = try #require(try c.reader.json(timeout: 120))
        #expect(cancelled["id"] == 3)
        #expect(cancelled.errorCode == -32800)
        #expect(try c.call("initialize", id: 5)["id"] == 5)
    }

    @Test func progressNotificationsArriveBeforeTheResult() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("p.sock").path)
        let c = try service.client()
        c.sendLine(request(7, "parse", ["text": "FROM a\nRUN b", "progress": true]))
        var progress: [JSONValue] = []
        while true {
            let m = try #require(try c.reader.json())
            if m["method"] == "$/progress" {
                #expect(m["params"]?["id"] == 7)
                progress.append(m)
                continue
            }
            #expect(m["id"] == 7)
            break
        }
        #expect(progress.count == 3)
        #expect(progress.last?["params"]?["value"]?["stage"] == "analyzed")
    }

    @Test func manyClientsAtOnce() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("m.sock").path)
        let clients = 24
        let failures = ManagedCounter()
        let path = service.path
        DispatchQueue.concurrentPerform(iterations: clients) { n in
            do {
                let c = try SocketClient(path: path)
                for i in 0..<100 {
                    let r = try c.call("parse", ["text": .string("FROM image\(n)\nRUN step \(i)")], id: i)
                    if r["id"]?.intValue != Int64(i)
                        || r["result"]?["instructions"]?.arrayValue?[1]["args"] != [.string("step \(i)")]
                    {
                        failures.add()
                    }
                }
            } catch {
                failures.add()
            }
        }
        #expect(failures.value == 0)
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
