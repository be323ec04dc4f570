import EstibaJSON
import Foundation
import Glibc
import Testing

/// Requests and command lines that once crashed the service or the CLI, or touched the wrong container:
/// each is now refused with an error that names what is wrong, and the service keeps answering.
@Suite struct HostileInputTests {
    /// The reply's error code and the parameter it names.
    func refusal(_ reply: JSONValue) -> (code: Int64?, param: String?, message: String) {
        (reply.errorCode, reply["error"]?["data"]?["param"]?.stringValue, reply["error"]?["message"]?.stringValue ?? "")
    }

    func expectAlive(_ c: SocketClient, id: Int = 999) throws {
        #expect(try c.call("initialize", id: id)["result"]?["name"] == "estiba")
    }

    @Test func numbersOutOfRangeOrOfTheWrongTypeAreInvalidParams() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("n.sock").path)
        let c = try service.client()
        let cases: [(String, JSONValue, String)] = [
            ("kill", ["container": "x", "signal": .int(2_147_483_648)], "signal"),
            ("kill", ["container": "x", "signal": "5"], "signal"),
            ("kill", ["container": "x", "signal": .double(1.5)], "signal"),
            ("kill", ["container": "x", "signal": 0], "signal"),
            ("kill", ["container": "x", "signal": -9], "signal"),
            ("kill", ["container": "x", "signal": .null], "signal"),
            ("stop", ["container": "x", "timeout": .int(Int64.max)], "timeout"),
            ("stop", ["container": "x", "timeout": "5"], "timeout"),
            ("stop", ["container": "x", "timeout": -1], "timeout"),
            ("input", ["container": "x", "data": .null], "data"),
            ("input", ["container": "x", "data": 5], "data"),
            ("resize", ["container": "x", "rows": "24", "cols": 80], "rows"),
            ("resize", ["container": "x", "rows": 24, "cols": .double(1e308)], "cols"),
            ("run", ["image": "none", "cpus": .double(1e308)], "cpus"),
            ("run", ["image": "none", "cpus": 0], "cpus"),
            ("run", ["image": "none", "cpus": "2"], "cpus"),
            ("run", ["image": "none", "memory": "99999999999g"], "memory"),
            ("run", ["image": "none", "memory": .double(1e308)], "memory"),
            ("run", ["image": "none", "memory": "1m"], "memory"),
            ("run", ["image": "none", "memory": true], "memory"),
            ("run", ["image": "none", "pidsLimit": .int(0)], "pidsLimit"),
            ("run", ["image": "none", "pidsLimit": "10"], "pidsLimit"),
            ("run", ["image": "none", "user": ":"], "user"),
            ("run", ["image": "none", "user": "a:b:c"], "user"),
            ("exec", ["container": "x", "command": ["true"], "user": ":"], "user"),
            ("run", ["image": "none", "tty": .null], "tty"),
            ("run", ["image": "none", "network": ""], "network"),
            ("run", ["image": "none", "runtime": "crun"], "runtime"),
            ("exec", ["container": "x", "command": []], "command"),
            ("save", ["images": ["none"], "path": "/tmp/never", "format": "zip"], "format"),
        ]
        for (i, (method, params, param)) in cases.enumerated() {
            let r = refusal(try c.call(method, params, id: i + 1))
            #expect(r.code == -32602, "\(method) \(params.encodedString()): \(r.message)")
            #expect(r.param == param, "\(method) \(params.encodedString()): \(r.message)")
            #expect(r.message.contains(param) || r.message.contains("CPUs"), "\(r.message)")
        }
        // A malformed user given as an image change is refused before it reaches an image.
        let change = refusal(try c.call("import", ["source": "/nonexistent", "changes": ["USER :"]], id: 99))
        #expect(change.code == -32602 && change.message.contains("Invalid user \":\""), "\(change.message)")
        let cpus = refusal(try c.call("run", ["image": "none", "cpus": .double(1e308)], id: 100)).message
        #expect(cpus.contains("Range of CPUs is from 0.01 to"), "\(cpus)")
        let memory = refusal(try c.call("run", ["image": "none", "memory": "1m"], id: 101)).message
        #expect(memory.contains("Minimum memory limit allowed is 6MB"), "\(memory)")
        try expectAlive(c)
    }

    @Test func emptyReferencesAreRefusedByEveryMethod() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("e.sock").path)
        let c = try service.client()
        let cases: [(String, JSONValue, String)] = [
            ("rm", ["containers": [""], "force": true], "containers"),
            ("rm", ["containers": ["ok", " "]], "containers"),
            ("kill", ["container": ""], "container"),
            ("stop", ["container": ""], "container"),
            ("wait", ["container": ""], "container"),
            ("logs", ["container": ""], "container"),
            ("exec", ["container": "", "command": ["true"]], "container"),
            ("start", ["containers": [""]], "containers"),
            ("commit", ["container": ""], "container"),
            ("input", ["container": "", "data": ""], "container"),
            ("resize", ["container": "", "rows": 2, "cols": 2], "container"),
            ("inspect", ["image": ""], "image"),
            ("history", ["image": ""], "image"),
            ("rmi", ["images": [""]], "images"),
            ("save", ["images": [""], "path": "/tmp/never"], "images"),
            ("tag", ["source": "", "target": "a:b"], "source"),
            ("run", ["image": ""], "image"),
            ("volumeRemove", ["names": [""]], "names"),
        ]
        for (i, (method, params, param)) in cases.enumerated() {
            let r = refusal(try c.call(method, params, id: i + 1))
            #expect(r.code == -32602 && r.param == param, "\(method) \(params.encodedString()): \(r.code ?? 0) \(r.message)")
        }
        try expectAlive(c)
    }

    /// An empty reference once matched every container: `rm -f ""` removed the running one.
    @Test func anEmptyReferenceNeverReachesARunningContainer() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let started = try cli.run(["run", "-d", "--name", "keep", "busybox", "sleep", "30"])
        #expect(started.status == 0, "\(started.output)")
        defer { _ = try? cli.run(["rm", "-f", "keep"]) }
        for args in [["rm", "-f", ""], ["kill", ""], ["exec", "", "true"], ["stop", "-t", "0", ""], ["rmi", ""]] {
            let r = try cli.run(args)
            #expect(r.status != 0 && r.output.contains("cannot be empty"), "\(args): \(r.output)")
        }
        let ps = try cli.run(["ps", "-q"])
        #expect(ps.output.split(separator: "\n").count == 1, "the container still runs: \(ps.output)")

        let service = try StdioService(root: cli.root)
        for (i, (method, params)) in [("rm", ["containers": [""], "force": true] as JSONValue), ("kill", ["container": ""])].enumerated() {
            service.sendLine(request(i + 1, method, params))
            #expect(try service.reader.json()?.errorCode == -32602)
        }
        #expect(try cli.run(["ps", "-q"]).output.split(separator: "\n").count == 1)
        #expect(try service.terminate() >= 0)
    }

    @Test func cliRefusesLimitsSignalsTimeoutsAndUsersOutOfRange() throws {
        let root = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cli = RuntimeTests.CLI(root: root)
        let cases: [([String], String)] = [
            (["run", "--cpus", "1e308", "none", "true"], "Range of CPUs is from 0.01 to"),
            (["run", "--cpus", "nan", "none", "true"], "--cpus must be a positive number"),
            (["run", "-m", "99999999999g", "none", "true"], "Invalid --memory"),
            (["run", "-m", "1k", "none", "true"], "Minimum memory limit allowed is 6MB"),
            (["run", "--pids-limit", "0", "none", "true"], "--pids-limit must be positive"),
            (["run", "-u", ":", "none", "true"], "Invalid user \":\""),
            (["create", "--cpus", "1e308", "none", "true"], "Range of CPUs"),
            (["kill", "-s", "2147483648", "x"], "Invalid signal: 2147483648"),
            (["kill", "-s", "0", "x"], "Invalid signal: 0"),
            (["stop", "-t", "9223372036854775807", "x"], "Invalid stop timeout"),
            (["stop", "-t=-5", "x"], "Invalid stop timeout"),
            (["exec", "-u", ":", "x", "true"], "Invalid user"),
        ]
        for (args, message) in cases {
            let r = try cli.run(args)
            // run and create fail as Docker's do, with 125; the other commands with 1.
            let expected: Int32 = ["run", "create"].contains(args[0]) ? 125 : 1
            #expect(r.status == expected && r.output.contains(message), "\(args): \(r.status) \(r.output)")
        }
    }

    /// `${a:-` 25,000 deep once overflowed the stack of the service's build.
    @Test func deeplyNestedExpansionInADryRunBuildIsAnError() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("b.sock").path)
        let c = try service.client()
        // Physical lines stay under the parser's 64 KiB limit; continuations join them into one instruction.
        let text = "FROM scratch\nENV x=" + Array(repeating: String(repeating: "${a:-", count: 5_000), count: 5).joined(separator: "\\\n") + "\n"
        let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "build", "params": ["context": .string(dir.path), "text": .string(text), "dryRun": true, "progress": false]]
        c.sendLine(req.encodedString())
        var reply: JSONValue?
        while let m = try c.reader.json(timeout: 60) {
            if m["id"] == 1 { reply = m; break }
        }
        #expect(reply?["error"]?["message"]?.stringValue?.contains("nested more than") == true, "\(reply?.encodedString() ?? "no reply")")
        try expectAlive(c)
    }

    /// A HEALTHCHECK duration beyond an Int64 of nanoseconds once trapped in the build.
    @Test func aHugeHealthcheckDurationIsABuildError() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.appendingPathComponent("d.sock").path)
        let c = try service.client()
        for (i, interval) in ["99999999999999999999h", "2562048h", "1e308s"].enumerated() {
            let text = "FROM scratch\nHEALTHCHECK --interval=\(interval) CMD true\n"
            let req: JSONValue = ["jsonrpc": "2.0", "id": .int(Int64(i + 1)), "method": "build", "params": ["context": .string(dir.path), "text": .string(text), "dryRun": true, "progress": false]]
            c.sendLine(req.encodedString())
            var reply: JSONValue?
            while let m = try c.reader.json(timeout: 60) {
                if m["id"] == .int(Int64(i + 1)) { reply = m; break }
            }
            #expect(reply?["error"]?["message"]?.stringValue?.contains("Invalid duration") == true, "\(reply?.encodedString() ?? "no reply")")
        }
        try expectAlive(c)
    }

    /// A damaged container record (numbers beyond 32 bits) once trapped every command that lists containers.
    @Test func aDamagedContainerRecordIsReadWithoutATrap() throws {
        let root = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = String(repeating: "ab", count: 32)
        try FileManager.default.createDirectory(atPath: root + "/containers/" + id, withIntermediateDirectories: true)
        let record: JSONValue = [
            "id": .string(id), "name": "damaged", "image": "none", "imageID": "sha256:00", "state": "exited",
            "pid": .int(99_999_999_999), "exitCode": .int(Int64.min), "monitorPid": .int(-99_999_999_999),
        ]
        try record.encodedString().write(toFile: root + "/containers/" + id + "/record.json", atomically: true, encoding: .utf8)
        let r = try RuntimeTests.CLI(root: root).run(["ps", "-a"])
        #expect(r.status == 0 && r.output.contains("damaged"), "\(r.output)")
    }

    /// A chain of 100,000 stages (each FROM the one before) once overflowed the stack while the build chose stages.
    @Test func aLongChainOfStagesIsPlannedWithoutRecursion() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "FROM scratch AS s0\n"
        for i in 0..<100_000 { text += "FROM s\(i) AS s\(i + 1)\n" }
        try text.write(toFile: dir.path + "/Dockerfile", atomically: true, encoding: .utf8)
        let r = try RuntimeTests.CLI(root: dir.path + "/store").run(["build", "--dry-run", "--quiet", dir.path])
        #expect(r.status == 0, "\(r.status) \(r.output.suffix(300))")
    }

    /// `USER :` once trapped in the build's user lookup at the next RUN.
    @Test func aMalformedUserInADockerfileIsABuildError() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let context = URL(fileURLWithPath: cli.root).deletingLastPathComponent().appendingPathComponent("ctx").path
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "FROM busybox\nUSER :\nRUN true\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let r = try cli.run(["build", context])
        #expect(r.status == 1 && r.output.contains("Invalid user \":\""), "\(r.output)")
    }
}
