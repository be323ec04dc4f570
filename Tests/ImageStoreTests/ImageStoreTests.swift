import EstibaJSON
import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

@Suite struct ImageStoreTests {
    func rootfs(_ dir: String) throws {
        for d in ["bin", "etc", "tmp"] { try FileManager.default.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true) }
        try writeFile(dir + "/bin/hello", "#!/bin/sh\necho hello\n", mode: 0o755)
        try writeFile(dir + "/etc/os-release", "NAME=test\n")
        symlink("hello", dir + "/bin/hi")
        chmod(dir + "/tmp", 0o1777)
    }

    func validate(_ kind: String, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
        let tool = shared.appendingPathComponent("tools/validate_oci_json.py").path
        guard FileManager.default.fileExists(atPath: tool) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("missing \(tool)", sourceLocation: sourceLocation) }
            return
        }
        let (status, text) = try runProcess(["python3", tool, kind, path])
        #expect(status == 0, "\(kind) \(path): \(text)", sourceLocation: sourceLocation)
    }

    @Test func importDirectoryMakesAValidOCIImage() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try rootfs(src)
        let store = try ImageStore(root: root)
        var cfg = ContainerConfig()
        cfg.cmd = ["/bin/hello"]
        cfg.env = ["PATH=/bin"]
        cfg.labels = ["maintainer": "me"]
        let image = try await store.importImage(.directory(src), config: cfg, reference: ImageReference(name: "test"), comment: "Imported from \(src)")
        #expect(image.references == [ImageReference(name: "test", tag: "latest")])
        #expect(image.id == Digest.of(image.configBytes))
        #expect(image.config.config.cmd == ["/bin/hello"])
        #expect(image.config.history.first?.comment == "Imported from \(src)")
        #expect(image.size == Int64("#!/bin/sh\necho hello\n".utf8.count + "NAME=test\n".utf8.count))
        // Only the directories the store uses (the build cache is made by the first build).
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: root)) == ["oci", "snapshots", "layers", "containers", "tmp", "leases", "locks"])
        let layout = store.layout
        try validate("config", layout.blob(image.id))
        try validate("manifest", layout.blob(image.manifestDigest))
        try validate("index", layout.indexFile)
        try validate("layout", layout.ociLayoutFile)
        // The snapshot is the tree, ready as an overlay lower directory.
        let lowers = try await store.lowerDirectories("test")
        #expect(lowers.count == 1)
        #expect(try String(contentsOfFile: lowers[0] + "/bin/hello", encoding: .utf8) == "#!/bin/sh\necho hello\n")
        // Found by tag, full ID and ID prefix.
        for spec in ["test", "test:latest", image.id.description, image.id.short, String(image.id.hex.prefix(5))] {
            #expect(try await store.image(spec).id == image.id, "\(spec)")
        }
        await #expect(throws: EstibaError.self) { try await store.image("nope:1") }
    }

    @Test func tarballAndDirectoryGiveTheSameLayer() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try rootfs(src)
        // Whole seconds: GNU tar truncates sub-second mtimes while layers round them.
        let touch = Process()
        touch.executableURL = URL(fileURLWithPath: "/bin/sh")
        touch.arguments = ["-c", "find \(src) -exec touch -h -d @1600000000 {} +"]
        try touch.run()
        touch.waitUntilExit()
        let store = try ImageStore(root: root)
        let fromDir = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "a"), comment: "")
        for (flag, ext) in [("-czf", "tgz"), ("-cJf", "txz"), ("--zstd -cf", "tzst"), ("-cf", "tar")] {
            let archive = "/tmp/estiba-rootfs-\(UUID().uuidString.prefix(6)).\(ext)"
            defer { removeTree(archive) }
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/sh")
            tar.arguments = ["-c", "tar \(flag) \(archive) -C \(src) ."]
            try tar.run()
            tar.waitUntilExit()
            if tar.terminationStatus != 0 { continue }  // tar without zstd support
            let fromTar = try await store.importImage(.tarball(archive), config: ContainerConfig(), reference: ImageReference(name: "b", tag: ext), comment: "")
            #expect(fromTar.config.diffIDs == fromDir.config.diffIDs, "\(ext)")
        }
    }

    @Test func tagUntagAndDeleteLikeDocker() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try rootfs(src)
        let store = try ImageStore(root: root)
        let image = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "app", tag: "1"), comment: "")
        // Snapshots are made when an image is first used.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.snapshots).isEmpty)
        _ = try await store.lowerDirectories("app:1")
        try await store.tag("app:1", as: ImageReference(parsing: "example.com/team/app:latest"))
        #expect(try await store.image("example.com/team/app").id == image.id)
        #expect(try await store.images().count == 1)
        #expect(try await store.images().first?.references.count == 2)

        // By ID with two tags: refused unless forced.
        await #expect(throws: EstibaError.self) { try await store.remove(image.id.short, force: false) }
        // By one tag: only untagged.
        #expect(try await store.remove("app:1", force: false) == [.untagged(ImageReference(name: "app", tag: "1"))])
        // In use by a container: refused.
        await #expect(throws: EstibaError.self) {
            try await store.remove("example.com/team/app", force: false, inUse: [image.id: ["web"]])
        }
        // The last tag deletes the image.
        let events = try await store.remove("example.com/team/app", force: false)
        #expect(events == [.untagged(try ImageReference(parsing: "example.com/team/app")), .deleted(image.id)])
        #expect(try await store.images().isEmpty)
        // Now everything is garbage.
        let pruned = try await store.prune()
        #expect(pruned.blobs == 3)
        #expect(pruned.snapshots == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.blobs).isEmpty)
    }

    @Test func retaggingLeavesADanglingImage() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try rootfs(src)
        let store = try ImageStore(root: root)
        let first = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "x"), comment: "", created: Timestamp(seconds: 1))
        var cfg = ContainerConfig()
        cfg.cmd = ["sh"]
        let second = try await store.importImage(.directory(src), config: cfg, reference: ImageReference(name: "x"), comment: "", created: Timestamp(seconds: 2))
        #expect(first.id != second.id)
        let all = try await store.images()
        #expect(all.count == 2)
        #expect(all.first?.id == second.id)
        #expect(all.last?.references.isEmpty == true)
        #expect(try await store.prune().blobs == 0)
    }

    @Test func verifyFindsCorruption() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try rootfs(src)
        let store = try ImageStore(root: root)
        let image = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "v"), comment: "")
        #expect(await store.verify().problems.isEmpty)
        let layer = store.layout.blob(image.config.diffIDs[0])
        chmod(layer, 0o644)
        let fd = open(layer, O_WRONLY | O_APPEND)
        _ = write(fd, "x", 1)
        close(fd)
        let report = await store.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains(image.config.diffIDs[0].description) == true)
    }

    @Test func referencesAreValidated() throws {
        #expect(try ImageReference(parsing: "busybox").description == "busybox:latest")
        #expect(try ImageReference(parsing: "docker.io/library/debian:12").description == "debian:12")
        #expect(try ImageReference(parsing: "localhost:5000/a/b:v1.2").description == "localhost:5000/a/b:v1.2")
        for bad in ["UPPER", "a//b", "-a", "a:b:c/d", "a:-tag", "x@sha256:00", ""] {
            #expect(throws: EstibaError.self, "\(bad)") { try ImageReference(parsing: bad) }
        }
    }

    @Test func timestampsRoundTrip() {
        let t = Timestamp(seconds: 1_700_000_000, nanoseconds: 120_000_000)
        #expect(t.rfc3339 == "2023-11-14T22:13:20.12Z")
        #expect(Timestamp(rfc3339: t.rfc3339) == t)
        #expect(Timestamp(rfc3339: "2023-11-14T23:13:20+01:00") == Timestamp(seconds: 1_700_000_000))
        #expect(Timestamp(rfc3339: "nonsense") == nil)
    }
}

@Suite struct StoreConcurrencyTests {
    @Test func anotherStoreOnTheSameRootSeesChangesAtOnce() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try writeFile(src + "/f", "f")
        let a = try ImageStore(root: root)
        let b = try ImageStore(root: root)
        #expect(try await a.images().isEmpty)
        let image = try await b.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "shared"), comment: "")
        #expect(try await a.image("shared").id == image.id)
        try await b.tag("shared", as: ImageReference(name: "other"))
        #expect(try await a.image("shared").references.count == 2)
        _ = try await b.remove("other", force: false)
        #expect(try await a.image("shared").references == [ImageReference(name: "shared")])
    }

    @Test func concurrentProcessesImportIntoOneStore() async throws {
        let estiba = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/estiba").path
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("estiba").path
        let binary = FileManager.default.isExecutableFile(atPath: beside) ? beside : estiba
        guard FileManager.default.isExecutableFile(atPath: binary) else { Issue.record("estiba binary not found"); return }
        var sources: [String] = []
        for i in 0..<8 {
            let src = try temporaryDirectory("src\(i)")
            try writeFile(src + "/id", "image \(i)")
            sources.append(src)
        }
        defer { sources.forEach(removeTree) }
        // Several new stores: the processes also race to create the store itself.
        for _ in 0..<5 {
            let root = try temporaryDirectory("root")
            defer { removeTree(root) }
            let processes = try sources.enumerated().map { i, src in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: binary)
                p.arguments = ["--root", root, "import", src, "img\(i):1"]
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                return p
            }
            for p in processes { p.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 })
            let store = try ImageStore(root: root)
            #expect(try await store.images().count == 8)
            #expect(await store.verify().problems.isEmpty)
        }
    }
}
