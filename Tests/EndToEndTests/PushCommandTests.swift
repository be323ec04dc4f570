import EstibaJSON
import Foundation
import Glibc
import Testing

/// `estiba push` against Debian's docker-registry on loopback: Docker's lines, the image read back by skopeo,
/// Estiba and podman, and the push over JSON-RPC.
@Suite(.serialized) struct PushCommandTests {
    typealias Registry = PullCommandTests.Registry

    @Test func pushPrintsDockersLinesAndThePulledBackImageRuns() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["DOCKER_CONFIG": dir + "/docker"]
        let name = "\(registry.host)/team/bb"
        let id = try cli.run(["inspect", "--format", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cli.run(["tag", "busybox", name + ":1"]).status == 0)

        let pushed = try cli.run(["push", name + ":1"], environment: env)
        #expect(pushed.status == 0, "\(pushed.output)")
        let lines = pushed.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "The push refers to repository [\(name)]", "\(lines)")
        #expect(lines.dropFirst().first?.hasSuffix(": Preparing") == true, "\(lines)")
        #expect(lines.contains { $0.hasSuffix(": Pushing") } && lines.contains { $0.hasSuffix(": Pushed") }, "\(lines)")
        let summary = try #require(lines.last)
        #expect(summary.hasPrefix("1: digest: sha256:") && summary.contains(" size: "), "\(summary)")
        let digest = String(summary.dropFirst("1: digest: ".count).prefix(71))

        // skopeo reads the manifest we wrote, with our config as the config.
        let raw = try runProgram("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(name):1"])
        #expect(try JSONValue.parse(Array(raw.output.utf8))["config"]?["digest"]?.stringValue == id, "\(raw.output)")
        let inspected = try runProgram("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://\(name):1"])
        #expect(try JSONValue.parse(Array(inspected.output.utf8))["Digest"]?.stringValue == digest, "\(inspected.output)")

        // The image knows the digest the registry holds it under, as Docker's RepoDigests.
        let repoDigests = try cli.run(["inspect", "--format", "{{json .RepoDigests}}", "busybox"]).output
        #expect(repoDigests.contains("\"\(name)@\(digest)\""), "\(repoDigests)")

        // Again: every layer already there.
        let again = try cli.run(["push", name + ":1"], environment: env)
        #expect(again.status == 0 && again.output.contains(": Layer already exists") && !again.output.contains("Pushed"), "\(again.output)")
        #expect(again.output.hasSuffix("1: digest: \(digest) size: \(summary.split(separator: " ").last ?? "")\n"), "\(again.output)")
        // Another repository of the registry: mounted.
        #expect(try cli.run(["tag", "busybox", "\(registry.host)/other/bb:2"]).status == 0)
        let mounted = try cli.run(["push", "\(registry.host)/other/bb:2"], environment: env)
        #expect(mounted.status == 0 && mounted.output.contains(": Mounted from team/bb"), "\(mounted.output)")
        let quiet = try cli.run(["push", "-q", "--compression", "zstd", "\(registry.host)/other/bb:2"], environment: env)
        #expect(quiet.status == 0 && quiet.output == "\(registry.host)/other/bb:2\n", "\(quiet.output)")

        // Pulled back into an empty store, the same image runs.
        let back = RuntimeTests.CLI(root: dir + "/back")
        for reference in [name + ":1", "\(registry.host)/other/bb:2"] {
            let pulled = try back.run(["pull", "-q", reference], environment: env)
            #expect(pulled.status == 0, "\(pulled.output)")
            #expect(try back.run(["inspect", "--format", "{{.Id}}", reference]).output == id + "\n")
            let ran = try back.run(["run", "--rm", reference, "echo", "pushed"])
            #expect(ran.status == 0 && ran.output == "pushed\n", "\(ran.output)")
        }

        let missing = try cli.run(["push", "\(registry.host)/nothing/here:1"], environment: env)
        #expect(missing.status == 1 && missing.output.contains("An image does not exist locally with the tag: \(registry.host)/nothing/here"), "\(missing.output)")
        let badCompression = try cli.run(["push", "--compression", "lz4", name + ":1"], environment: env)
        #expect(badCompression.status == 1 && badCompression.output.contains("use gzip or zstd"), "\(badCompression.output)")
    }

    /// What a push remembers beside a layer (its compressed forms, the repositories holding them) goes with it.
    @Test func aRemovedImageTakesItsPushHintsWithIt() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "\(registry.host)/hints/bb:1"
        #expect(try cli.run(["tag", "busybox", name]).status == 0)
        for compression in ["gzip", "zstd"] {
            let pushed = try cli.run(["push", "-q", "--compression", compression, name], environment: ["DOCKER_CONFIG": dir + "/docker"])
            #expect(pushed.status == 0, "\(pushed.output)")
        }
        // Hints are layers/<hex>.<kind>.json; a layer's own record is layers/<hex>.json.
        let hints = { ((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/layers")) ?? []).filter { $0.split(separator: ".").count > 2 } }
        let before = hints()
        #expect(before.count >= 3, "\(before)")
        #expect(try cli.run(["rmi", name, "busybox"]).status == 0)
        let after = hints()
        #expect(after.isEmpty, "\(after)")
        #expect(try cli.run(["system", "verify"]).status == 0)
    }

    /// podman reads what Estiba pushed as the same image (same ID), gzip and zstd alike, and the other way round.
    @Test func podmanPullsTheSameImage() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/podman") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("podman is not installed") }
            return
        }
        let registry = try Registry()
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try cli.run(["inspect", "--format", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let podman = ["--storage-driver", "vfs", "--root", dir + "/podman", "--runroot", dir + "/podman-run"]
        for compression in ["gzip", "zstd"] {
            let name = "\(registry.host)/podman/\(compression):1"
            #expect(try cli.run(["tag", "busybox", name]).status == 0)
            #expect(try cli.run(["push", "-q", "--compression", compression, name], environment: ["DOCKER_CONFIG": dir + "/docker"]).status == 0)
            let pulled = try runProgram("/usr/bin/podman", podman + ["pull", "-q", "--tls-verify=false", name])
            #expect(pulled.status == 0, "\(pulled.output)")
            let theirs = try runProgram("/usr/bin/podman", podman + ["inspect", "--format", "{{.Id}}", name])
            #expect("sha256:" + theirs.output.trimmingCharacters(in: .whitespacesAndNewlines) == id, "\(theirs.output)")
        }
        // And the other way: what podman pushes (its own compression, zstd included), Estiba pulls as the same
        // image and runs.
        for (compression, repository) in [("gzip", "frompodman/gzip:2"), ("zstd", "frompodman/zstd:2")] {
            let name = "\(registry.host)/" + repository
            let pushed = try runProgram(
                "/usr/bin/podman", podman + ["push", "-q", "--tls-verify=false", "--compression-format", compression, "\(registry.host)/podman/gzip:1", name])
            #expect(pushed.status == 0, "\(pushed.output)")
            let other = RuntimeTests.CLI(root: dir + "/other-\(compression)")
            let pulled = try other.run(["pull", "-q", name])
            #expect(pulled.status == 0, "\(pulled.output)")
            #expect(try other.run(["inspect", "--format", "{{.Id}}", name]).output.trimmingCharacters(in: .whitespacesAndNewlines) == id)
            let ran = try other.run(["run", "--rm", name, "echo", "pushed by podman"])
            #expect(ran.status == 0 && ran.output.contains("pushed by podman"), "\(ran.output)")
        }
        _ = try? runProgram("/usr/bin/podman", podman + ["system", "reset", "-f"])
    }

    @Test func pushOverJSONRPCStreamsLayerProgress() throws {
        let registry = try Registry()
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try cli.run(["inspect", "--format", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "\(registry.host)/rpc/app:2"
        #expect(try cli.run(["tag", "busybox", name]).status == 0)
        let service = try StdioService(root: cli.root)
        defer { _ = try? service.terminate() }
        service.sendLine(request(1, "push", ["reference": .string(name)]))
        var notifications: [JSONValue] = []
        var reply: JSONValue?
        while reply == nil, let m = try service.reader.json(timeout: 60) {
            if m["method"]?.stringValue == "push/progress" { notifications.append(m["params"] ?? .null) } else { reply = m }
        }
        let result = try #require(reply?["result"], "\(String(describing: reply))")
        #expect(result["Id"]?.stringValue == id)
        #expect(result["Reference"]?.stringValue == name)
        let raw = try runProgram("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(name)"])
        #expect(result["Size"]?.intValue == Int64(raw.output.utf8.count))
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        let progressSchema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "push/progress" }?["params"] ?? .null
        for n in notifications { #expect(validator.validate(n, progressSchema).isEmpty, "\(n)") }
        let resultSchema = doc["methods"]?.arrayValue?.first { $0["name"] == "push" }?["result"]?["schema"] ?? .null
        #expect(validator.validate(result, resultSchema).isEmpty, "\(validator.validate(result, resultSchema))")
        let statuses = notifications.compactMap { $0["status"]?.stringValue }
        #expect(notifications.first?["event"] == "repository")
        #expect(statuses.first == "preparing" && statuses.contains("pushing") && statuses.last == "pushed", "\(statuses)")
        service.sendLine(request(2, "push", ["reference": .string(name), "progress": false]))
        let again = try #require(try service.reader.json(timeout: 60))
        #expect(again["result"]?["Digest"] == result["Digest"], "\(again)")
        service.sendLine(request(3, "push", ["reference": .string("\(registry.host)/rpc/none:1")]))
        let missing = try #require(try service.reader.json(timeout: 60))
        #expect(missing["error"]?["data"]?["kind"] == "not-found", "\(missing)")
    }
}
