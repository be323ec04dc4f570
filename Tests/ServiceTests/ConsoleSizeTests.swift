import Engine
import EstibaJSON
import Foundation
import Glibc
import JSONRPC
import System
import Testing

@testable import Service

/// `consoleSize` of `run` and `exec`: refused unless it is a size a terminal can have (and goes with `tty`), and
/// the container's command sees it from its start.
@Suite(.serialized) struct ConsoleSizeTests {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "these tests run containers: they need root and /bin/busybox (Debian's busybox-static)" }
    }

    /// Values that are no terminal size, and what the message must say about each.
    static let refused: [(JSONValue, String)] = [
        (["rows": 0, "cols": 80], "\"rows\": 0"),
        (["rows": 24, "cols": 65536], "\"cols\": 65536"),
        (["rows": -1, "cols": 80], "\"rows\": -1"),
        (["rows": 1.5, "cols": 80], "\"rows\": 1.5"),
        (["rows": "24", "cols": 80], "\"rows\": \"24\""),
        (["rows": 24], "without \"cols\""),
        (["rows": 24, "columns": 80], "with \"columns\""),
        (["rows": 24, "cols": 80, "x": 1], "with \"x\""),
        ("24x80", "not string"),
        ([24, 80], "not array"),
        (.null, "not null"),
    ]

    func expectRefused(_ method: String, _ params: JSONObject, _ fragment: String) async {
        let (result, sent) = await MethodTableTests.call(MethodTableTests.service(), method, .object(params))
        #expect(sent.isEmpty)
        guard case .failure(let e) = result else {
            Issue.record("\(method) took \(params)")
            return
        }
        #expect(e.code == -32602, "\(e)")
        #expect(e.data?["param"] == "consoleSize", "\(e)")
        #expect(e.message.contains("\"consoleSize\" of \(method) must be {\"rows\": R, \"cols\": C} with R and C integers from 1 to 65535"), "\(e.message)")
        #expect(e.message.contains(fragment), "\(e.message)")
    }

    @Test func aSizeThatIsNoTerminalSizeIsRefused() async {
        for (value, fragment) in Self.refused {
            var run: JSONObject = ["image": "busybox", "command": ["stty", "size"], "tty": true]
            run.append("consoleSize", value)
            await expectRefused("run", run, fragment)
            var exec: JSONObject = ["container": "box", "command": ["stty", "size"], "tty": true]
            exec.append("consoleSize", value)
            await expectRefused("exec", exec, fragment)
        }
    }

    @Test func aSizeWithoutATerminalIsRefused() async {
        for method in ["run", "exec"] {
            let params: JSONObject = method == "run"
                ? ["image": "busybox", "command": ["true"], "consoleSize": ["rows": 24, "cols": 80]]
                : ["container": "box", "command": ["true"], "tty": false, "consoleSize": ["rows": 24, "cols": 80]]
            let (result, _) = await MethodTableTests.call(MethodTableTests.service(), method, .object(params))
            guard case .failure(let e) = result else {
                Issue.record("\(method) took a size without a terminal")
                continue
            }
            #expect(e.code == -32602 && e.data?["param"] == "consoleSize", "\(e)")
            #expect(e.message.contains("give it with \"tty\": true"), "\(e.message)")
        }
    }

    /// A service on a store holding a busybox image; the caller removes the directory.
    func busyboxService() async throws -> (service: EstibaService, directory: String) {
        guard geteuid() == 0, access("/bin/busybox", X_OK) == 0 else { throw Unavailable() }
        let dir = NSTemporaryDirectory() + "estiba-console-size-" + UUID().uuidString
        let rootfs = dir + "/rootfs"
        for d in ["/bin", "/etc", "/tmp"] { try FileManager.default.createDirectory(atPath: rootfs + d, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "cat", "stty"] { symlink("busybox", rootfs + "/bin/" + applet) }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\n".write(toFile: rootfs + "/etc/group", atomically: false, encoding: .utf8)
        let engine = Engine(configuration: EngineConfiguration(root: dir + "/store"))
        _ = try await engine.importImage(source: rootfs, reference: "busybox:latest", changes: ["CMD [\"sh\"]", "ENV PATH=/bin"])
        return (EstibaService(engine: engine), dir)
    }

    /// What the call's `container/output` notifications carried.
    func screen(_ sent: [(String, JSONValue)]) -> String {
        sent.filter { $0.0 == "container/output" }.compactMap { $0.1["data"]?.stringValue }
            .compactMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    @Test func theSizeReachesTheContainersTerminal() async throws {
        let (service, dir) = try await busyboxService()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (run, sent) = await MethodTableTests.call(
            service, "run", ["image": "busybox", "command": ["stty", "size"], "tty": true, "rm": true, "consoleSize": ["rows": 37, "cols": 101]])
        #expect(try run.get()["ExitCode"] == .int(0))
        #expect(screen(sent) == "37 101\r\n")

        // exec, in a container the engine keeps running until its input ends.
        var o = RunOptions(image: "busybox")
        o.command = ["cat"]
        o.name = "box"
        o.remove = true
        let first = try await service.engine.runAttached(o, interactive: true)
        let (exec, execSent) = await MethodTableTests.call(
            service, "exec", ["container": "box", "command": ["stty", "size"], "tty": true, "consoleSize": ["rows": 42, "cols": 7]])
        #expect(try exec.get()["ExitCode"] == .int(0))
        #expect(screen(execSent) == "42 7\r\n")
        first.closeInput()
        for await _ in first.output {}
        #expect(await first.exitCode() == 0)
    }
}
