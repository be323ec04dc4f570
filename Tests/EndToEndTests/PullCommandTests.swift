import EstibaJSON
import Foundation
import Glibc
import Synchronization
import Testing

/// `estiba pull` against Debian's docker-registry on loopback, seeded with skopeo from an image Estiba saved.
@Suite(.serialized) struct PullCommandTests {
    /// A registry on a free loopback port (htpasswd users when given), stopped with `stop()`.
    struct Registry {
        let directory: String
        let port: Int
        let process: Process
        var host: String { "127.0.0.1:\(port)" }

        init(users: [String: String] = [:]) throws {
            directory = try Paths.temporaryDirectory().path
            port = try Self.unusedPort()
            var auth = ""
            if !users.isEmpty {
                var lines = ""
                for (user, password) in users {
                    lines += try runProgram("/usr/bin/htpasswd", ["-Bbn", user, password]).output.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
                }
                try lines.write(toFile: directory + "/htpasswd", atomically: true, encoding: .utf8)
                auth = "auth:\n  htpasswd:\n    realm: estiba\n    path: \(directory)/htpasswd\n"
            }
            let config = "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: \(directory)/data\nhttp:\n  addr: 127.0.0.1:\(port)\n" + auth
            try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            process.arguments = ["serve", directory + "/config.yml"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<200 where Self.free(port) && process.isRunning { usleep(25_000) }
            guard !Self.free(port) else {
                stop()
                throw TestTimeout(what: "docker-registry to listen on 127.0.0.1:\(port)")
            }
        }

        /// A port the kernel hands out as unused (bound to port 0, then released).
        static func unusedPort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw TestTimeout(what: "a free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Whether nothing listens on the port.
        static func free(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) != 0 }
            }
        }
    }

    /// Saves the busybox image of a new store and copies it to `registry` as `name`; returns the config digest
    /// skopeo reports there.
    func seed(_ registry: Registry, _ name: String, creds: String? = nil) throws -> String? {
        guard let source = try RuntimeTests().busyboxStore() else { return nil }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: source.root).deletingLastPathComponent().path) }
        let archive = source.root + "/../busybox.tar"
        #expect(try source.run(["save", "-o", archive, "busybox"]).status == 0)
        let credArgs = creds.map { ["--dest-creds", $0] } ?? []
        let copied = try runProgram("/usr/bin/skopeo", ["copy", "-q", "--dest-tls-verify=false"] + credArgs + ["docker-archive:" + archive, "docker://\(registry.host)/\(name)"])
        #expect(copied.status == 0, "\(copied.output)")
        let inspected = try runProgram("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false"] + (creds.map { ["--creds", $0] } ?? []) + ["docker://\(registry.host)/\(name)"])
        return try JSONValue.parse(Array(inspected.output.utf8))["config"]?["digest"]?.stringValue
    }

    @Test func pullPrintsDockersLinesAndThePulledImageRuns() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let configDigest = try seed(registry, "library/busybox:latest") else { return }
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = RuntimeTests.CLI(root: dir + "/store")
        // A registry that asks for no credentials: the config's helper (not installed) is never run.
        try FileManager.default.createDirectory(atPath: dir + "/docker", withIntermediateDirectories: true)
        try #"{"credsStore":"not-installed"}"#.write(toFile: dir + "/docker/config.json", atomically: true, encoding: .utf8)
        let env = ["DOCKER_CONFIG": dir + "/docker"]
        let name = "\(registry.host)/library/busybox"
        let pulled = try cli.run(["pull", name], environment: env)
        #expect(pulled.status == 0, "\(pulled.output)")
        let lines = pulled.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "Using default tag: latest")
        #expect(lines.dropFirst().first == "latest: Pulling from library/busybox")
        #expect(lines.contains { $0.hasSuffix(": Pull complete") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("Digest: sha256:") })
        #expect(lines.suffix(2) == ["Status: Downloaded newer image for \(name):latest", "\(name):latest"], "\(lines)")
        // The image ID is the config digest, as skopeo reports it.
        let id = try cli.run(["inspect", "--format", "{{.Id}}", name])
        #expect(id.output.trimmingCharacters(in: .whitespacesAndNewlines) == configDigest)
        let verified = try cli.run(["system", "verify"])
        #expect(verified.status == 0 && verified.output.contains("0 problems"), "\(verified.output)")
        let ran = try cli.run(["run", "--rm", name, "echo", "pulled"])
        #expect(ran.status == 0 && ran.output == "pulled\n", "\(ran.output)")

        let again = try cli.run(["pull", name + ":latest"], environment: env)
        #expect(again.status == 0)
        #expect(again.output.split(separator: "\n").suffix(2) == ["Status: Image is up to date for \(name):latest", "\(name):latest"], "\(again.output)")
        let quiet = try cli.run(["pull", "-q", name], environment: env)
        #expect(quiet.output == "\(name):latest\n")

        let missing = try cli.run(["pull", "\(registry.host)/library/busybox:nope"], environment: env)
        #expect(missing.status == 1 && missing.output.contains("Error: library/busybox:nope was not found on \(registry.host)"), "\(missing.output)")
        let badPlatform = try cli.run(["pull", "--platform", "linux", name], environment: env)
        #expect(badPlatform.status == 1 && badPlatform.output.contains("os/arch[/variant]"), "\(badPlatform.output)")
    }

    /// Garbage collection is safe beside pulls: prunes in a loop (from another process) while the same image is
    /// pulled and removed again and again; every pull succeeds and runs, and the store verifies.
    @Test func prunesInALoopBesidePullsBreakNothing() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard try seed(registry, "library/busybox:latest") != nil else { return }
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = RuntimeTests.CLI(root: dir + "/store")
        let name = "\(registry.host)/library/busybox"
        // (stopping, rounds) shared with the pruning thread.
        let state = Mutex((stopping: false, rounds: 0))
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !state.withLock({ $0.stopping }) {
                if (try? cli.run(["system", "prune"]))?.status == 0 { state.withLock { $0.rounds += 1 } }
            }
            done.signal()
        }
        var failures: [String] = []
        for i in 0..<8 {
            let pulled = try cli.run(["pull", "-q", name])
            if pulled.status != 0 { failures.append("pull \(i): \(pulled.output)") }
            let ran = try cli.run(["run", "--rm", name, "true"])
            if ran.status != 0 { failures.append("run \(i): \(ran.output)") }
            let removed = try cli.run(["rmi", name])
            if removed.status != 0 { failures.append("rmi \(i): \(removed.output)") }
        }
        state.withLock { $0.stopping = true }
        done.wait()
        #expect(failures.isEmpty, "\(failures)")
        #expect(state.withLock { $0.rounds } > 0)
        let verified = try cli.run(["system", "verify"])
        #expect(verified.status == 0 && verified.output.contains("0 problems"), "\(verified.output)")
    }

    @Test func pullOverJSONRPCStreamsLayerProgress() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let configDigest = try seed(registry, "rpc/app:2") else { return }
        let service = try StdioService()
        defer { _ = try? service.terminate() }
        service.sendLine(request(1, "pull", ["reference": .string("\(registry.host)/rpc/app:2")]))
        var notifications: [JSONValue] = []
        var reply: JSONValue?
        while reply == nil, let m = try service.reader.json(timeout: 60) {
            if m["method"]?.stringValue == "pull/progress" { notifications.append(m["params"] ?? .null) } else { reply = m }
        }
        let result = try #require(reply?["result"], "\(String(describing: reply))")
        #expect(result["Id"]?.stringValue == configDigest)
        #expect(result["RepoTags"] == .array([.string("\(registry.host)/rpc/app:2")]))
        #expect(result["Status"] == "downloaded")
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        let progressSchema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "pull/progress" }?["params"] ?? .null
        for n in notifications { #expect(validator.validate(n, progressSchema).isEmpty, "\(n)") }
        let resultSchema = doc["methods"]?.arrayValue?.first { $0["name"] == "pull" }?["result"]?["schema"] ?? .null
        #expect(validator.validate(result, resultSchema).isEmpty, "\(validator.validate(result, resultSchema))")
        let statuses = notifications.compactMap { $0["status"]?.stringValue }
        #expect(notifications.first?["event"] == "resolved")
        #expect(statuses.first == "waiting" && statuses.contains("downloading") && statuses.contains("verifying") && statuses.last == "done", "\(statuses)")
        #expect(notifications.allSatisfy { $0["id"] == .int(1) })
        // Again: up to date; an unknown tag is a not-found error.
        service.sendLine(request(2, "pull", ["reference": .string("\(registry.host)/rpc/app:2"), "progress": false]))
        #expect(try service.reader.json(timeout: 60)?["result"]?["Status"] == "up-to-date")
        service.sendLine(request(3, "pull", ["reference": .string("\(registry.host)/rpc/app:nope")]))
        let missing = try #require(try service.reader.json(timeout: 60))
        #expect(missing["error"]?["data"]?["kind"] == "not-found", "\(missing)")
    }

    @Test func pullAllTagsPullsEveryTagOfTheRepository() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let configDigest = try seed(registry, "multi/tags:1") else { return }
        _ = try seed(registry, "multi/tags:2")
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = RuntimeTests.CLI(root: dir + "/store")
        let env = ["DOCKER_CONFIG": dir + "/docker"]
        let name = "\(registry.host)/multi/tags"
        let pulled = try cli.run(["pull", "-a", name], environment: env)
        #expect(pulled.status == 0, "\(pulled.output)")
        let lines = pulled.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "1: Pulling from multi/tags" && lines.contains("2: Pulling from multi/tags"), "\(lines)")
        #expect(lines.filter { $0.hasPrefix("Digest: sha256:") }.count == 2, "\(lines)")
        #expect(lines.suffix(2) == ["Status: Downloaded newer image for \(name)", name], "\(lines)")
        for tag in ["1", "2"] {
            #expect(try cli.run(["inspect", "--format", "{{.Id}}", "\(name):\(tag)"]).output.hasPrefix("sha256:"))
        }
        #expect(try cli.run(["inspect", "--format", "{{.Id}}", "\(name):1"]).output == configDigest + "\n")
        let quiet = try cli.run(["pull", "-a", "-q", name], environment: env)
        #expect(quiet.status == 0 && quiet.output == name + "\n", "\(quiet.output)")
        let tagged = try cli.run(["pull", "-a", name + ":1"], environment: env)
        #expect(tagged.status == 1 && tagged.output.contains("tag can't be used with --all-tags/-a"), "\(tagged.output)")
    }

    @Test func pullUsesCredentialsFromTheDockerConfig() throws {
        let registry = try Registry(users: ["bob": "hunter2"])
        defer { registry.stop() }
        guard let configDigest = try seed(registry, "team/app:1", creds: "bob:hunter2") else { return }
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = RuntimeTests.CLI(root: dir + "/store")
        let name = "\(registry.host)/team/app:1"
        let denied = try cli.run(["pull", name], environment: ["DOCKER_CONFIG": dir + "/none"])
        #expect(denied.status == 1 && denied.output.contains("run estiba login \(registry.host)"), "\(denied.output)")
        try FileManager.default.createDirectory(atPath: dir + "/docker", withIntermediateDirectories: true)
        let auth = Data("bob:hunter2".utf8).base64EncodedString()
        try #"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.write(toFile: dir + "/docker/config.json", atomically: true, encoding: .utf8)
        let pulled = try cli.run(["pull", "-q", name], environment: ["DOCKER_CONFIG": dir + "/docker"])
        #expect(pulled.status == 0 && pulled.output == "\(name)\n", "\(pulled.output)")
        #expect(try cli.run(["inspect", "--format", "{{.Id}}", name]).output.trimmingCharacters(in: .whitespacesAndNewlines) == configDigest)
        // Through a credential helper named for the host (docker-credential-<name> get).
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\nread server\n[ \"$server\" = \"\(registry.host)\" ] || exit 1\necho '{\"ServerURL\":\"x\",\"Username\":\"bob\",\"Secret\":\"hunter2\"}'\n"
            .write(toFile: dir + "/bin/docker-credential-test", atomically: true, encoding: .utf8)
        chmod(dir + "/bin/docker-credential-test", 0o755)
        try FileManager.default.createDirectory(atPath: dir + "/helped", withIntermediateDirectories: true)
        try #"{"credHelpers":{"\#(registry.host)":"test"}}"#.write(toFile: dir + "/helped/config.json", atomically: true, encoding: .utf8)
        let helped = try cli.run(["pull", name], environment: ["DOCKER_CONFIG": dir + "/helped", "PATH": dir + "/bin:/usr/bin:/bin"])
        #expect(helped.status == 0 && helped.output.contains("Status: Image is up to date for \(name)"), "\(helped.output)")
    }
}
