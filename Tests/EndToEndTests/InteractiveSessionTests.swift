import EstibaJSON
import Foundation
import Glibc
import Testing

/// Interactive containers over JSON-RPC: stdin through `input`, a terminal with `resize`, `container/started`
/// and `container/exit` notifications; and the Python client's `run_shell.py` on a real pty.
@Suite(.serialized) struct InteractiveSessionTests {
    func base64(_ s: String) -> JSONValue { .string(Data(s.utf8).base64EncodedString()) }

    /// Reads messages until the reply to `id`, returning it and the notifications before it.
    func untilReply(_ s: StdioService, _ id: Int) throws -> (JSONValue, [JSONValue]) {
        var notes: [JSONValue] = []
        while let m = try s.reader.json(timeout: 60) {
            if m["id"] == .int(Int64(id)), m["method"] == nil { return (m, notes) }
            notes.append(m)
        }
        throw TestTimeout(what: "reply \(id)")
    }

    func output(_ notes: [JSONValue]) -> String {
        notes.filter { $0["method"] == "container/output" }.compactMap { $0["params"]?["data"]?.stringValue }
            .compactMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    @Test func stdinAndATerminalOverJSONRPC() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        func schema(_ n: String) -> JSONValue { doc["x-notifications"]?.arrayValue?.first { $0["name"]?.stringValue == n }?["params"] ?? .null }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }

        // stdin: `cat` echoes what `input` sends, and ends at eof.
        s.sendLine(request(1, "run", ["image": "busybox", "command": ["cat"], "interactive": true, "name": "catter"]))
        let started = try #require(try s.reader.json(timeout: 60))
        #expect(started["method"] == "container/started" && started["params"]?["name"] == "catter", "\(started)")
        #expect(validator.validate(started["params"] ?? .null, schema("container/started")).isEmpty)
        s.sendLine(request(2, "input", ["container": "catter", "data": base64("hello over json-rpc\n")]))
        s.sendLine(request(3, "input", ["container": "catter", "eof": true]))
        var (reply, notes) = try untilReply(s, 1)
        #expect(reply["result"]?["ExitCode"] == .int(0), "\(reply)")
        #expect(output(notes) == "hello over json-rpc\n", "\(notes)")
        let exit = try #require(notes.first { $0["method"] == "container/exit" })
        #expect(exit["params"]?["exitCode"] == .int(0) && validator.validate(exit["params"] ?? .null, schema("container/exit")).isEmpty)

        // A terminal: resize, type, Ctrl-C reaches the container, exit code comes back.
        s.sendLine(request(4, "run", ["image": "busybox", "command": ["sh"], "interactive": true, "tty": true, "name": "terminal"]))
        #expect(try s.reader.json(timeout: 60)?["method"] == "container/started")
        s.sendLine(request(5, "resize", ["container": "terminal", "rows": .int(33), "cols": .int(101)]))
        s.sendLine(request(6, "input", ["container": "terminal", "data": base64("stty size; tty\r")]))
        usleep(500_000)
        s.sendLine(request(7, "input", ["container": "terminal", "data": base64("sleep 30\r")]))
        usleep(500_000)
        s.sendLine(request(8, "input", ["container": "terminal", "data": base64("\u{03}")]))
        usleep(300_000)
        s.sendLine(request(9, "input", ["container": "terminal", "data": base64("exit 6\r")]))
        (reply, notes) = try untilReply(s, 4)
        #expect(reply["result"]?["ExitCode"] == .int(6), "\(reply)")
        let screen = output(notes)
        #expect(screen.contains("33 101\r\n/dev/pts/0\r\n"), "\(screen)")
        #expect(screen.contains("^C"), "\(screen)")
        #expect(notes.contains { $0["id"] == .int(5) && $0["result"]?["rows"] == .int(33) }, "\(notes)")
        // Input to a container that is gone is a clear error.
        s.sendLine(request(10, "input", ["container": "terminal", "data": base64("x")]))
        (reply, _) = try untilReply(s, 10)
        #expect(reply["error"]?["code"] == .int(-32001), "\(reply)")
    }

    /// Inputs sent back to back reach the container in the order they were sent, and end of input comes
    /// after all of them (each `input` is answered on its own, possibly out of order).
    @Test func inputsKeepTheirOrder() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(1, "run", ["image": "busybox", "command": ["cat"], "interactive": true, "name": "order"]))
        #expect(try s.reader.json(timeout: 60)?["method"] == "container/started")
        var expected = ""
        for i in 0..<200 {
            let line = "line \(i) " + String(repeating: "x", count: i % 37) + "\n"
            expected += line
            s.sendLine(request(100 + i, "input", ["container": "order", "data": base64(line)]))
        }
        s.sendLine(request(99, "input", ["container": "order", "eof": true]))
        let (reply, notes) = try untilReply(s, 1)
        #expect(reply["result"]?["ExitCode"] == .int(0), "\(reply)")
        #expect(output(notes) == expected)
        let written = notes.compactMap { $0["result"]?["written"]?.intValue }.reduce(0, +)
        #expect(written == Int64(expected.utf8.count))
    }

    @Test func execOverJSONRPC() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        var r = try cli.run(["run", "-d", "--name", "server", "-h", "box", "busybox", "sleep", "60"])
        #expect(r.status == 0, "\(r.output)")
        defer { _ = try? cli.run(["rm", "-f", "server"]) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(1, "exec", ["container": "server", "command": ["sh", "-c", "hostname; echo $GREETING; exit 2"], "env": ["GREETING=hola"]]))
        var (reply, notes) = try untilReply(s, 1)
        #expect(reply["result"]?["ExitCode"] == .int(2), "\(reply)")
        #expect(output(notes) == "box\nhola\n", "\(notes)")
        // Interactive exec: the started notification names the exec session that input addresses.
        s.sendLine(request(2, "exec", ["container": "server", "command": ["sh", "-c", "read line; echo got $line"], "interactive": true]))
        let started = try #require(try s.reader.json(timeout: 60))
        let session = try #require(started["params"]?["container"]?.stringValue, "\(started)")
        s.sendLine(request(3, "input", ["container": .string(session), "data": base64("typed\n")]))
        (reply, notes) = try untilReply(s, 2)
        #expect(reply["result"]?["ExitCode"] == .int(0) && output(notes) == "got typed\n", "\(reply) \(notes)")
        s.sendLine(request(4, "exec", ["container": "nosuch", "command": ["true"]]))
        (reply, _) = try untilReply(s, 4)
        #expect(reply["error"]?["code"] == .int(-32001), "\(reply)")
        r = try cli.run(["rm", "-f", "server"])
        #expect(r.status == 0)
    }

    @Test func thePythonClientGivesARealTerminalSession() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let screen = try Pty.session(
            ["/usr/bin/env", "python3", Paths.repo.path + "/Clients/python/run_shell.py", "--estiba", Paths.estiba, "--root", cli.root, "busybox", "sh"],
            startup: 2.0,
            steps: [
                .init(text: "tty; stty size; echo $((6*7))\r", read: 1.5), .init(text: "sleep 30\r", read: 0),
                .init(text: "\u{03}", pause: 0.5, read: 1.5), .init(text: "echo still-here; exit 4\r", read: 2.0),
            ])
        #expect(screen.contains("/dev/pts/0"), "\(screen)")
        #expect(screen.contains("\r\n24 80\r\n42\r\n"), "the container's terminal has the caller's size: \(screen)")
        #expect(screen.contains("^C"), "\(screen)")
        #expect(screen.contains("still-here"), "\(screen)")
        #expect(screen.hasSuffix("EXIT=4\n"), "\(screen)")
    }
}
