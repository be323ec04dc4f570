import EstibaJSON
import Foundation
import Testing

/// Repository digests and pull output through the CLI and the service, against a loopback docker-registry.
@Suite(.serialized) struct RepoDigestCommandTests {
    /// The manifest digest skopeo reads for `name` on `registry`.
    func manifestDigest(_ registry: PullCommandTests.Registry, _ name: String) throws -> String {
        let raw = try runProgram("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/\(name)"])
        let digest = try runProgram("/usr/bin/sh", ["-c", "printf %s \"$1\" | sha256sum | cut -d' ' -f1", "sh", raw.output])
        return "sha256:" + digest.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func imagesInspectAndRmiShowAndTakeRepoDigests() throws {
        let registry = try PullCommandTests.Registry()
        defer { registry.stop() }
        guard try PullCommandTests().seed(registry, "team/app:1") != nil else { return }
        let digest = try manifestDigest(registry, "team/app:1")
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = RuntimeTests.CLI(root: dir + "/store")
        let name = "\(registry.host)/team/app"
        #expect(try cli.run(["pull", "-q", name + ":1"]).status == 0)

        let inspected = try JSONValue.parse(Array(try cli.run(["inspect", name + ":1"]).output.utf8))
        #expect(inspected.arrayValue?.first?["RepoDigests"] == .array([.string("\(name)@\(digest)")]))
        let table = try cli.run(["images", "--digests"]).output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(table.first == ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"], "\(table)")
        #expect(table.dropFirst().first?.prefix(3) == [name, "1", digest], "\(table)")
        #expect(try cli.run(["images"]).output.contains(digest) == false)

        // Pulled by digest: Docker's status line for a digest; listed as <none> under its repository.
        let byDigest = try cli.run(["pull", "\(name)@\(digest)"])
        #expect(byDigest.status == 0, "\(byDigest.output)")
        #expect(byDigest.output.hasSuffix("Status: Image is up to date for \(name)@\(digest)\n\(name)@\(digest)\n"), "\(byDigest.output)")
        let store = dir + "/bydigest"
        let fresh = RuntimeTests.CLI(root: store)
        let pulled = try fresh.run(["pull", "\(name)@\(digest)"])
        #expect(pulled.output.hasSuffix("Status: Downloaded newer image for \(name)@\(digest)\n\(name)@\(digest)\n"), "\(pulled.output)")
        let rows = try fresh.run(["images", "--digests"]).output.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { Array($0.prefix(3)) } == [[name, "<none>", digest]], "\(rows)")
        #expect(try fresh.run(["run", "--rm", "\(name)@\(digest)", "echo", "by digest"]).output == "by digest\n")
        let removed = try fresh.run(["rmi", "\(name)@\(digest)"])
        #expect(removed.status == 0 && removed.output.hasPrefix("Untagged: \(name)@\(digest)\nDeleted: sha256:"), "\(removed.output)")
        #expect(try fresh.run(["images", "-q"]).output.isEmpty)

        // A local build has none.
        #expect(try cli.run(["tag", name + ":1", "mine:1"]).status == 0)
        #expect(try cli.run(["rmi", name + ":1"]).output == "Untagged: \(name):1\nUntagged: \(name)@\(digest)\n")
        let mine = try cli.run(["images", "--digests"]).output.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(mine.map { Array($0.prefix(3)) } == [["mine", "1", "<none>"]], "\(mine)")
    }

    @Test func aTerminalGetsDockersRedrawnProgressBars() throws {
        let registry = try PullCommandTests.Registry()
        defer { registry.stop() }
        guard try PullCommandTests().seed(registry, "bars/app:1") != nil else { return }
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let screen = try SizedPty.run([Paths.estiba, "--root", dir + "/store", "pull", "\(registry.host)/bars/app:1"], rows: 40, columns: 160)
        #expect(screen.contains("1: Pulling from bars/app"), "\(screen)")
        #expect(screen.contains(": Downloading [=================================================="), "\(screen)")
        #expect(screen.contains("\u{1B}[1A\u{1B}[2K\r"), "\(screen)")
        #expect(screen.contains(": Pull complete"), "\(screen)")
        #expect(screen.hasSuffix("\(registry.host)/bars/app:1\r\nEXIT=0\n"), "\(screen)")
        // Not a terminal: plain lines, no escapes.
        let plain = try RuntimeTests.CLI(root: dir + "/plain").run(["pull", "\(registry.host)/bars/app:1"])
        #expect(plain.status == 0 && !plain.output.contains("\u{1B}"), "\(plain.output)")
    }

    @Test func theServicePullsAllTagsAndReportsRepoDigests() throws {
        let registry = try PullCommandTests.Registry()
        defer { registry.stop() }
        guard try PullCommandTests().seed(registry, "rpc/tags:a") != nil else { return }
        _ = try PullCommandTests().seed(registry, "rpc/tags:b")
        let digest = try manifestDigest(registry, "rpc/tags:a")
        let name = "\(registry.host)/rpc/tags"
        let service = try StdioService()
        defer { _ = try? service.terminate() }
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        let shapes = doc["methods"]?.arrayValue?.first { $0["name"] == "pull" }?["result"]?["schema"]?["oneOf"]?.arrayValue ?? []
        #expect(shapes.count == 2)

        service.sendLine(request(1, "pull", ["reference": .string(name), "allTags": true, "progress": false]))
        let all = try #require(try service.reader.json(timeout: 60)?["result"])
        #expect(all["Images"]?.arrayValue?.compactMap { $0["Reference"]?.stringValue } == [name + ":a", name + ":b"], "\(all)")
        #expect(all["Status"] == "downloaded")
        #expect(all["Images"]?.arrayValue?.first?["RepoDigests"] == .array([.string("\(name)@\(digest)")]), "\(all)")
        if shapes.count == 2 { #expect(validator.validate(all, shapes[1]).isEmpty, "\(validator.validate(all, shapes[1]))") }

        service.sendLine(request(2, "pull", ["reference": .string(name + ":a"), "progress": false]))
        let one = try #require(try service.reader.json(timeout: 60)?["result"])
        #expect(one["Status"] == "up-to-date")
        if shapes.count == 2 { #expect(validator.validate(one, shapes[0]).isEmpty, "\(validator.validate(one, shapes[0]))") }

        service.sendLine(request(3, "images"))
        let images = try #require(try service.reader.json(timeout: 60)?["result"]?["images"]?.arrayValue)
        #expect(images.contains { $0["RepoDigests"] == .array([.string("\(name)@\(digest)")]) }, "\(images)")
        service.sendLine(request(4, "inspect", ["image": .string("\(name)@\(digest)")]))
        let inspected = try #require(try service.reader.json(timeout: 60)?["result"])
        #expect(inspected["RepoDigests"] == .array([.string("\(name)@\(digest)")]), "\(inspected)")
    }
}
