import Foundation
import Glibc
import Testing

@testable import ImageStore

/// `load` checks every layer as a run would, before the image is listed.
extension HostileArchiveTests {
    /// A docker-archive (manifest.json, config, one uncompressed layer) around the layer tar `layer`, tagged `tag`.
    func makeDockerArchive(layer: String, tag: String) throws -> String {
        let path = "/tmp/estiba-hostile-load-\(UUID().uuidString.prefix(8)).tar"
        try python(
            """
            import sys, tarfile, io, json, hashlib
            out, layer, tag = sys.argv[1], sys.argv[2], sys.argv[3]
            data = open(layer, "rb").read()
            diff = hashlib.sha256(data).hexdigest()
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                 "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]}}).encode()
            cfg = hashlib.sha256(config).hexdigest()
            manifest = json.dumps([{"Config": cfg + ".json", "RepoTags": [tag], "Layers": [diff + "/layer.tar"]}]).encode()
            with tarfile.open(out, "w") as t:
                for name, body in [(cfg + ".json", config), (diff + "/layer.tar", data), ("manifest.json", manifest)]:
                    i = tarfile.TarInfo(name); i.size = len(body); t.addfile(i, io.BytesIO(body))
            """, [path, layer, tag])
        return path
    }

    func names(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] }

    @Test func loadRefusesHostileLayersAndKeepsNothing() async throws {
        let root = try temporaryDirectory("hostile-load")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let hostile: [(String, [(String, String, String)])] = [
            ("../../etc/x", [("file", "../../etc/x", "x")]),
            ("/tmp/evil", [("file", "/tmp/evil", "x")]),
            ("link/evil", [("symlink", "link", "/tmp"), ("file", "link/evil", "x")]),
            ("passwd", [("hardlink", "passwd", "/etc/passwd")]),
        ]
        for (entry, members) in hostile {
            let layer = try makeTar(members)
            defer { removeTree(layer) }
            let archive = try makeDockerArchive(layer: layer, tag: "hostile:latest")
            defer { removeTree(archive) }
            do {
                _ = try await store.load(from: archive)
                Issue.record("a layer with \(entry) was loaded")
            } catch {
                #expect(error.code == .badInput, "\(error)")
                #expect(error.message.contains("Refused archive entry \"\(entry)\"") && error.message.contains("Nothing was loaded"), "\(error)")
            }
            #expect(try await store.images().isEmpty, "\(entry): no image is listed")
            #expect(names(root + "/oci/blobs/sha256").isEmpty, "\(entry): no blob stays")
            #expect(names(root + "/snapshots").isEmpty && names(root + "/layers").isEmpty, "\(entry)")
            #expect(names(root + "/tmp").isEmpty, "\(entry): no staging stays")
            #expect(await store.verify().problems.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil"))

        // The same archive with a harmless layer loads, its layer already extracted.
        let layer = try makeTar([("dir", "etc", ""), ("file", "etc/x", "x"), ("symlink", "link", "/tmp")])
        defer { removeTree(layer) }
        let archive = try makeDockerArchive(layer: layer, tag: "fine:latest")
        defer { removeTree(archive) }
        let loaded = try await store.load(from: archive)
        #expect(loaded.map { $0.references.map(\.description) } == [["fine:latest"]])
        #expect(names(root + "/snapshots").count == 1)
        #expect(try await store.images().count == 1)
    }

    @Test func verifyReportsAHostileLayerStoredBefore() async throws {
        let root = try temporaryDirectory("hostile-verify")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        // As an older version's load left it: the blob stored and the image listed, nothing extracted.
        let layer = try makeTar([("file", "../../etc/x", "x")])
        defer { removeTree(layer) }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: layer)))
        let digest = Digest.of(bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/oci/blobs/sha256/" + digest.hex))
        var config = ImageConfig(architecture: HostPlatform.architecture, created: .now())
        config.diffIDs = [digest]
        _ = try await store.add(config: config, layers: [(digest, Int64(bytes.count))], reference: try ImageReference(parsing: "old:latest"))
        let problems = await store.verify().problems
        #expect(problems.count == 1 && problems.first?.contains("Refused archive entry \"../../etc/x\"") == true, "\(problems)")
        #expect(names(root + "/tmp").isEmpty)
    }
}
