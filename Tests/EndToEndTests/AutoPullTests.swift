import EstibaJSON
import Foundation
import Glibc
import Testing

/// `run`, `create` and builds pull the images they name when the store lacks them (`--pull`), against Debian's
/// docker-registry on loopback, seeded with skopeo from images Estiba saved.
@Suite(.serialized) struct AutoPullTests {
    typealias Registry = PullCommandTests.Registry

    /// Runs the CLI with stdout and stderr apart.
    func estiba(_ root: String, _ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        let (executable, arguments) = ProgramDeadline.bounded(Paths.estiba, ["--root", root] + args)
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let start = Date()
        try p.run()
        // stderr is read on another thread so that neither pipe fills while the other is read.
        let errorText = Mutexed("")
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorText.set(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            done.signal()
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        done.wait()
        p.waitUntilExit()
        ProgramDeadline.check(since: start, Paths.estiba, args, output: text + errorText.get())
        return (p.terminationStatus, text, errorText.get())
    }

    /// A busybox store to seed registries from; nil outside CI without root and busybox-static.
    func source() throws -> RuntimeTests.CLI? { try RuntimeTests().busyboxStore() }

    /// Copies `image` of the store `cli` to `registry` as `name`.
    func push(_ cli: RuntimeTests.CLI, _ image: String, to registry: Registry, as name: String, creds: String? = nil) throws {
        let archive = cli.root + "/../push-\(UUID().uuidString.prefix(8)).tar"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        let saved = try cli.run(["save", "-o", archive, image])
        #expect(saved.status == 0, "\(saved.output)")
        let credArgs = creds.map { ["--dest-creds", $0] } ?? []
        let copied = try runProgram(
            "/usr/bin/skopeo", ["copy", "-q", "--dest-tls-verify=false"] + credArgs + ["docker-archive:" + archive, "docker://\(registry.host)/\(name)"])
        #expect(copied.status == 0, "\(copied.output)")
    }

    /// A new, empty store directory (and a Docker config directory without credentials) under a scratch directory.
    func emptyStore() throws -> (dir: String, root: String, env: [String: String]) {
        let dir = try Paths.temporaryDirectory().path
        return (dir, dir + "/store", ["DOCKER_CONFIG": dir + "/docker"])
    }

    @Test func runPullsAMissingImageOnceThenUsesTheStore() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let src = try source() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: src.root).deletingLastPathComponent().path) }
        try push(src, "busybox", to: registry, as: "busybox:latest")
        let (dir, root, env) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "\(registry.host)/busybox:latest"

        let first = try estiba(root, ["run", "--rm", name, "echo", "hi"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "hi\n")
        let lines = first.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "Unable to find image '\(registry.host)/busybox:latest' locally", "\(lines)")
        #expect(lines.dropFirst().first == "latest: Pulling from busybox", "\(lines)")
        #expect(lines.contains { $0.hasSuffix(": Pull complete") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("Digest: sha256:") }, "\(lines)")
        #expect(lines.last == "Status: Downloaded newer image for \(name)", "\(lines)")

        // By digest.
        let digest = try #require(lines.first { $0.hasPrefix("Digest: ") }).dropFirst("Digest: ".count)
        let pinned = try estiba(root, ["run", "--rm", "\(registry.host)/busybox@\(digest)", "echo", "pinned"], environment: env)
        #expect(pinned.status == 0 && pinned.stdout == "pinned\n", "\(pinned)")

        // From now on the store has it: no registry needed.
        registry.stop()
        let second = try estiba(root, ["run", "--rm", name, "echo", "hi"], environment: env)
        #expect(second.status == 0 && second.stdout == "hi\n" && second.stderr.isEmpty, "\(second)")

        // --pull always asks the registry every time: one that is down is a clear failure.
        let always = try estiba(root, ["run", "--rm", "--pull", "always", name, "true"], environment: env)
        #expect(always.status == 125, "\(always)")
        #expect(always.stderr.contains("Cannot pull \(name) (--pull always pulls every time)"), "\(always.stderr)")
        #expect(always.stderr.contains("Cannot reach the registry \(registry.host)"), "\(always.stderr)")

        // --pull never: a missing image is the store's error, with what to do.
        let never = try estiba(root, ["run", "--rm", "--pull", "never", "\(registry.host)/other:1", "true"], environment: env)
        #expect(never.status == 125, "\(never)")
        #expect(never.stderr.contains("No such image: \(registry.host)/other:1. Pull it first"), "\(never.stderr)")
        #expect(!never.stderr.contains("Unable to find image"), "\(never.stderr)")
        // An image ID is never pulled.
        let byID = try estiba(root, ["run", "--rm", "sha256:" + String(repeating: "0", count: 64), "true"], environment: env)
        #expect(byID.status == 125 && byID.stderr.contains("No such image") && !byID.stderr.contains("Unable to find"), "\(byID)")
        let bad = try estiba(root, ["run", "--pull", "sometimes", name, "true"], environment: env)
        #expect(bad.status != 0 && bad.stderr.contains("--pull must be missing, always or never"), "\(bad)")
    }

    @Test func createPullsAndPullAlwaysChecksTheRegistry() throws {
        let registry = try Registry(users: ["bob": "hunter2"])
        defer { registry.stop() }
        guard let src = try source() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: src.root).deletingLastPathComponent().path) }
        try push(src, "busybox", to: registry, as: "team/box:1", creds: "bob:hunter2")
        let (dir, root, env) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "\(registry.host)/team/box:1"

        // Without credentials: Docker's words for a repository that is missing or private.
        let denied = try estiba(root, ["create", name], environment: env)
        #expect(denied.status == 125, "\(denied)")
        #expect(denied.stderr.contains("Unable to find image '\(name)' locally"), "\(denied.stderr)")
        #expect(
            denied.stderr.contains("pull access denied for \(registry.host)/team/box, repository does not exist or may require 'estiba login'"),
            "\(denied.stderr)")

        try FileManager.default.createDirectory(atPath: dir + "/docker", withIntermediateDirectories: true)
        let auth = Data("bob:hunter2".utf8).base64EncodedString()
        try #"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.write(toFile: dir + "/docker/config.json", atomically: true, encoding: .utf8)
        let created = try estiba(root, ["create", name, "echo", "made"], environment: env)
        #expect(created.status == 0, "\(created)")
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64, "\(created.stdout)")
        #expect(created.stderr.contains("Status: Downloaded newer image for \(name)"), "\(created.stderr)")
        let started = try estiba(root, ["start", id], environment: env)
        #expect(started.status == 0, "\(started)")
        #expect(try estiba(root, ["wait", id]).stdout == "0\n")
        #expect(try estiba(root, ["logs", id]).stdout == "made\n")

        let quiet = try estiba(root, ["run", "--rm", "-q", "--pull", "always", name, "echo", "quiet"], environment: env)
        #expect(quiet.status == 0 && quiet.stdout == "quiet\n" && quiet.stderr.isEmpty, "\(quiet)")
        // Up to date: --pull always asks, and runs the same image.
        let always = try estiba(root, ["run", "--rm", "--pull", "always", name, "echo", "again"], environment: env)
        #expect(always.status == 0 && always.stdout == "again\n", "\(always)")
        #expect(!always.stderr.contains("Unable to find"), "\(always.stderr)")
        #expect(always.stderr.contains("Status: Image is up to date for \(name)"), "\(always.stderr)")

        // A tag the registry lacks: its not-found sentence, status 125.
        let missing = try estiba(root, ["run", "--rm", "\(registry.host)/team/box:nope", "true"], environment: env)
        #expect(missing.status == 125 && missing.stderr.contains("team/box:nope was not found on \(registry.host)"), "\(missing)")
    }

    @Test func runOverJSONRPCSendsPullProgress() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let src = try source() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: src.root).deletingLastPathComponent().path) }
        try push(src, "busybox", to: registry, as: "rpc/box:1")
        let service = try StdioService()
        defer { _ = try? service.terminate() }
        let image = "\(registry.host)/rpc/box:1"
        service.sendLine(request(1, "run", ["image": .string(image), "command": ["echo", "hi"], "rm": true]))
        var methods: [String] = []
        var progress: [JSONValue] = []
        var output = ""
        var reply: JSONValue?
        while reply == nil, let m = try service.reader.json(timeout: 60) {
            guard let method = m["method"]?.stringValue else {
                reply = m
                break
            }
            methods.append(method)
            if method == "pull/progress" { progress.append(m["params"] ?? .null) }
            if method == "container/output", let data = m["params"]?["data"]?.stringValue, let bytes = Data(base64Encoded: data) {
                output += String(decoding: bytes, as: UTF8.self)
            }
        }
        #expect(reply?["result"]?["ExitCode"] == .int(0), "\(String(describing: reply))")
        #expect(output == "hi\n")
        #expect(methods.first == "pull/progress", "\(methods)")
        #expect(methods.lastIndex(of: "pull/progress").map { $0 < (methods.firstIndex(of: "container/started") ?? 0) } == true, "\(methods)")
        #expect(progress.first?["event"] == "resolved" && progress.contains { $0["status"] == "done" }, "\(progress)")
        #expect(progress.allSatisfy { $0["id"] == .int(1) })
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        let schema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "pull/progress" }?["params"] ?? .null
        for n in progress { #expect(validator.validate(n, schema).isEmpty, "\(n)") }

        // createOnly with pull always: the registry is asked (one resolved event), the result comes.
        service.sendLine(request(2, "run", ["image": .string(image), "createOnly": true, "pull": "always"]))
        var created: JSONValue?
        var resolved = 0
        while created == nil, let m = try service.reader.json(timeout: 60) {
            if m["method"] == "pull/progress" {
                if m["params"]?["event"] == "resolved" { resolved += 1 }
            } else if m["method"] == nil {
                created = m
            }
        }
        #expect(created?["result"]?["Id"]?.stringValue?.count == 64, "\(String(describing: created))")
        #expect(resolved == 1)
        // never, for an image the store lacks: not found; a bad policy: invalid params.
        service.sendLine(request(3, "run", ["image": .string("\(registry.host)/rpc/none:1"), "pull": "never"]))
        let never = try #require(try service.reader.json(timeout: 60))
        #expect(never["error"]?["data"]?["kind"] == "not-found", "\(never)")
        service.sendLine(request(4, "run", ["image": .string(image), "pull": "often"]))
        #expect(try service.reader.json(timeout: 60)?.errorCode == -32602)

        // A build in the service's empty store pulls its FROM: build/progress events of kind pull.
        let ctx = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let other = "\(registry.host)/rpc/base:2"
        try push(src, "busybox", to: registry, as: "rpc/base:2")
        service.sendLine(request(5, "build", ["context": .string(ctx), "text": .string("FROM \(other)\nRUN echo built > /built\n"), "tags": ["rpc-built:1"]]))
        var events: [JSONValue] = []
        var built: JSONValue?
        while built == nil, let m = try service.reader.json(timeout: 120) {
            if m["method"] == "build/progress" { events.append(m["params"] ?? .null) } else if m["method"] == nil { built = m }
        }
        #expect(built?["result"]?["RepoTags"] == ["rpc-built:1"], "\(String(describing: built))")
        let pulls = events.filter { $0["event"] == "pull" }
        #expect(pulls.first?["step"] == .int(1) && pulls.first?["pull"]?["event"] == "resolved", "\(pulls)")
        #expect(pulls.contains { $0["pull"]?["event"] == "layer" }, "\(pulls)")
        let buildSchema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "build/progress" }?["params"] ?? .null
        for e in events { #expect(validator.validate(e, buildSchema).isEmpty, "\(validator.validate(e, buildSchema))") }
    }

    @Test func buildPullsFromAndCopyFromImages() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let src = try source() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: src.root).deletingLastPathComponent().path) }
        try push(src, "busybox", to: registry, as: "busybox:latest")
        let (dir, root, env) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ctx = dir + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        let base = "\(registry.host)/busybox"

        try "FROM \(base)\nRUN echo built > /built\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let built = try estiba(root, ["build", "-t", "fromed:1", ctx], environment: env)
        #expect(built.status == 0, "\(built)")
        let lines = built.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Step 1/2 : FROM \(base)", "\(lines)")
        #expect(lines.dropFirst().first == "latest: Pulling from busybox", "\(lines)")
        let status = lines.firstIndex(of: "Status: Downloaded newer image for \(base):latest")
        let step2 = lines.firstIndex(of: "Step 2/2 : RUN echo built > /built")
        #expect(status != nil && step2 != nil && status! < step2!, "\(lines)")
        let ran = try estiba(root, ["run", "--rm", "--pull", "never", "fromed:1", "cat", "/built"])
        #expect(ran.status == 0 && ran.stdout == "built\n", "\(ran)")

        // COPY --from an image in another empty store; a stage named like nothing in a registry is never pulled,
        // and with --pull (always) the same image is pulled once for the whole build.
        let (dir2, root2, _) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        try "FROM \(base) AS tools\nRUN echo t > /t\nFROM tools AS mid\nCOPY --from=\(base) /bin/busybox /x\nFROM scratch\nCOPY --from=mid /t /x /\nCOPY --from=\(base):latest /bin/busybox /bin/busybox\n"
            .write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let copied = try estiba(root2, ["build", "--pull", "-t", "copied:1", ctx], environment: env)
        #expect(copied.status == 0, "\(copied)")
        #expect(copied.stdout.components(separatedBy: ": Pulling from busybox").count == 2, "\(copied.stdout)")
        #expect(try estiba(root2, ["inspect", "--format", "{{.Id}}", "\(base):latest"]).stdout.hasPrefix("sha256:"))
        let files = try estiba(root2, ["run", "--rm", "--pull", "never", "--entrypoint", "/bin/busybox", "copied:1", "sh", "-c", "/bin/busybox cat /t && /bin/busybox cmp /x /bin/busybox && echo same"])
        #expect(files.status == 0 && files.stdout == "t\nsame\n", "\(files)")
        let unpacked = try estiba(root2, ["save", "-o", dir2 + "/copied.tar", "copied:1"])
        #expect(unpacked.status == 0, "\(unpacked)")

        // COPY --from alone pulls too (podman's --pull=missing form accepted).
        let (dir3, root3, _) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir3) }
        try "FROM scratch\nCOPY --from=\(base) /bin/busybox /x\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let alone = try estiba(root3, ["build", "--pull=missing", "-t", "alone:1", ctx], environment: env)
        #expect(alone.status == 0 && alone.stdout.contains("Status: Downloaded newer image for \(base):latest"), "\(alone)")
    }

    @Test func buildPullRebuildsOnANewBaseAndCachesOtherwise() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let src = try source() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: src.root).deletingLastPathComponent().path) }
        try push(src, "busybox", to: registry, as: "app/base:latest")
        let (dir, root, env) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ctx = dir + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        let base = "\(registry.host)/app/base"
        try "FROM \(base)\nRUN echo one > /one\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let first = try estiba(root, ["build", "-t", "app:1", ctx], environment: env)
        #expect(first.status == 0 && first.stdout.contains("Pulling from app/base"), "\(first)")
        let firstID = try estiba(root, ["inspect", "--format", "{{.Id}}", "app:1"]).stdout

        // A new image under the same tag.
        try "FROM busybox\nENV VERSION=2\n".write(toFile: ctx + "/Dockerfile.v2", atomically: true, encoding: .utf8)
        #expect(try src.run(["build", "-f", ctx + "/Dockerfile.v2", "-t", "busybox:v2", ctx]).status == 0)
        try push(src, "busybox:v2", to: registry, as: "app/base:latest")

        // Without --pull the store's base serves, and the cache with it.
        let cached = try estiba(root, ["build", "-t", "app:1", ctx], environment: env)
        #expect(cached.status == 0 && !cached.stdout.contains("Pulling from") && cached.stdout.contains(" ---> Using cache"), "\(cached)")
        #expect(try estiba(root, ["inspect", "--format", "{{.Id}}", "app:1"]).stdout == firstID)
        let falsePull = try estiba(root, ["build", "--pull=false", "-t", "app:1", ctx], environment: env)
        #expect(falsePull.status == 0 && !falsePull.stdout.contains("Pulling from"), "\(falsePull)")

        // --pull: the new base is pulled, and every step below it runs again.
        let pulled = try estiba(root, ["build", "--pull", "-t", "app:1", ctx], environment: env)
        #expect(pulled.status == 0, "\(pulled)")
        #expect(pulled.stdout.contains("Status: Downloaded newer image for \(base):latest"), "\(pulled.stdout)")
        #expect(!pulled.stdout.contains(" ---> Using cache") && pulled.stdout.contains(" ---> Not cached:"), "\(pulled.stdout)")
        let secondID = try estiba(root, ["inspect", "--format", "{{.Id}}", "app:1"]).stdout
        #expect(secondID != firstID)
        #expect(try estiba(root, ["run", "--rm", "app:1", "sh", "-c", "echo $VERSION; cat /one"]).stdout == "2\none\n")

        // --pull again: up to date, so the cache serves.
        let again = try estiba(root, ["build", "--pull=always", "-t", "app:1", ctx], environment: env)
        #expect(again.status == 0 && again.stdout.contains("Status: Image is up to date for \(base):latest"), "\(again)")
        #expect(again.stdout.contains(" ---> Using cache"), "\(again.stdout)")
    }

    @Test func buildWhoseBaseCannotBePulledNamesTheLineAndTheImage() throws {
        let registry = try Registry()
        defer { registry.stop() }
        let (dir, root, env) = try emptyStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ctx = dir + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "# base\nFROM \(registry.host)/nothere:1\nRUN true\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let failed = try estiba(root, ["build", ctx], environment: env)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("line 2"), "\(failed.stderr)")
        #expect(failed.stderr.contains("The base image \(registry.host)/nothere:1 could not be pulled"), "\(failed.stderr)")
        #expect(failed.stderr.contains("nothere:1 was not found on \(registry.host)"), "\(failed.stderr)")
        let never = try estiba(root, ["build", "--pull=never", ctx], environment: env)
        #expect(never.status == 1 && never.stderr.contains("line 2") && never.stderr.contains("build without --pull=never"), "\(never)")
        let bad = try estiba(root, ["build", "--pull=sometimes", ctx], environment: env)
        #expect(bad.status == 1 && bad.stderr.contains("Unknown --pull value sometimes"), "\(bad)")
        // A dry run never pulls.
        let dry = try estiba(root, ["build", "--dry-run", ctx], environment: env)
        #expect(dry.status == 1 && !dry.stdout.contains("Pulling from") && dry.stderr.contains("not in the store"), "\(dry)")
    }
}

/// A value shared with another thread.
final class Mutexed<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}
