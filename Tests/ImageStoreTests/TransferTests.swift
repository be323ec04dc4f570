import EstibaJSON
import Foundation
import Glibc
import Testing

@testable import ImageStore

/// save/load round trips, and archives other tools wrote.
@Suite struct TransferTests {
    func run(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let r = try runProcess(args, env: env)
        return (r.status, r.output)
    }

    func installed(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/\(name)") || FileManager.default.isExecutableFile(atPath: "/bin/\(name)") { return true }
        if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("\(name) is not installed", sourceLocation: sourceLocation) }
        return false
    }

    /// A root filesystem with busybox (from Debian's busybox-static) when available.
    func busyboxRootfs(_ dir: String) throws -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else { return false }
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: dir + "/bin/busybox")
        for applet in ["sh", "echo", "cat", "ls", "rm", "mkdir"] { symlink("busybox", dir + "/bin/" + applet) }
        return true
    }

    @Test func saveAndLoadRoundTripInEveryFormat() async throws {
        let a = try temporaryDirectory("a")
        let src = try temporaryDirectory("src")
        let out = try temporaryDirectory("out")
        defer { removeTree(a); removeTree(src); removeTree(out) }
        for d in ["etc", "usr/lib"] { try FileManager.default.createDirectory(atPath: "\(src)/\(d)", withIntermediateDirectories: true) }
        try writeFile(src + "/etc/x", "x")
        try writeFile(src + "/usr/lib/y", String(repeating: "y", count: 5000))
        let storeA = try ImageStore(root: a)
        var cfg = ContainerConfig()
        cfg.cmd = ["sh"]
        let one = try await storeA.importImage(.directory(src), config: cfg, reference: ImageReference(name: "one"), comment: "first")
        try await storeA.tag("one", as: ImageReference(name: "one", tag: "v2"))
        for format in ArchiveFormat.allCases {
            let path = "\(out)/\(format.rawValue)"
            _ = try await storeA.save(["one:latest", "one:v2"], to: path, format: format)
            let b = try temporaryDirectory("b")
            defer { removeTree(b) }
            let storeB = try ImageStore(root: b)
            let loaded = try await storeB.load(from: path)
            #expect(loaded.count == 1 || loaded.allSatisfy { $0.image.id == one.id }, "\(format)")
            let got = try await storeB.image("one:v2")
            #expect(got.id == one.id, "\(format)")
            #expect(got.configBytes == one.configBytes, "\(format)")
            #expect(Set(got.references) == [ImageReference(name: "one"), ImageReference(name: "one", tag: "v2")], "\(format)")
            #expect(got.size == one.size, "\(format)")
            let treeA = try describeTree(try await storeA.lowerDirectories("one")[0])
            let treeB = try describeTree(try await storeB.lowerDirectories("one")[0])
            #expect(treeA == treeB, "\(format)")
        }
    }

    @Test func skopeoArchivesLoad() async throws {
        guard installed("skopeo") else { return }
        let a = try temporaryDirectory("a")
        let b = try temporaryDirectory("b")
        let src = try temporaryDirectory("src")
        defer { removeTree(a); removeTree(b); removeTree(src) }
        try writeFile(src + "/file", "content")
        let storeA = try ImageStore(root: a)
        let image = try await storeA.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "sk", tag: "1"), comment: "")
        // skopeo writes the legacy docker-archive layout (<hex>.json config, <hex>.tar layers) and OCI archives.
        for (dest, name) in [("docker-archive:\(b)/legacy.tar:sk:1", "legacy.tar"), ("oci-archive:\(b)/oci.tar:sk:1", "oci.tar")] {
            let (status, text) = try run(["skopeo", "copy", "oci:\(storeA.layout.oci):sk:1", dest])
            #expect(status == 0, "\(text)")
            let c = try temporaryDirectory("c")
            defer { removeTree(c) }
            let loaded = try await ImageStore(root: c).load(from: "\(b)/\(name)")
            #expect(loaded.map(\.image.id) == [image.id], "\(name)")
        }
        let listing = try run(["tar", "tf", "\(b)/legacy.tar"]).1
        #expect(listing.contains("manifest.json"))
        #expect(!listing.contains("oci-layout"))
    }

    @Test func podmanRunsOurImagesAndWeLoadItsBuilds() async throws {
        guard geteuid() == 0, installed("podman"), installed("runc") else { return }
        let work = try temporaryDirectory("podman")
        let rootfs = work + "/rootfs"
        defer { removeTree(work) }
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        guard try busyboxRootfs(rootfs) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("busybox-static is not installed") }
            return
        }
        try "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n".write(
            toFile: work + "/containers.conf", atomically: true, encoding: .utf8)
        let env = ["CONTAINERS_CONF": work + "/containers.conf"]
        let podman = ["podman", "--root", work + "/storage", "--runroot", work + "/run", "--storage-driver", "vfs", "--runtime", "runc"]
        defer { _ = try? run(podman + ["system", "reset", "--force"], env: env) }

        let store = try ImageStore(root: work + "/estiba")
        var cfg = ContainerConfig()
        cfg.cmd = ["sh"]
        cfg.env = ["PATH=/bin"]
        let base = try await store.importImage(.directory(rootfs), config: cfg, reference: ImageReference(name: "bb", tag: "1"), comment: "busybox")
        _ = try await store.save(["bb:1"], to: work + "/ours.tar", format: .dockerArchive)
        var (status, text) = try run(podman + ["load", "-i", work + "/ours.tar"], env: env)
        #expect(status == 0, "\(text)")
        (status, text) = try run(podman + ["image", "inspect", "--format", "{{.Id}}", "bb:1"], env: env)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == base.id.hex)
        (status, text) = try run(podman + ["run", "--rm", "--network", "none", "bb:1", "sh", "-c", "echo ran in podman"], env: env)
        #expect(status == 0 && text.contains("ran in podman"), "\(text)")

        let ctx = work + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "FROM bb:1\nLABEL maintainer=\"me\"\nENV A=b\nCOPY f /f\nRUN echo built > /built && rm /bin/ls\nCMD [\"cat\", \"/f\"]\n".write(
            toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        try "file\n".write(toFile: ctx + "/f", atomically: true, encoding: .utf8)
        (status, text) = try run(podman + ["build", "--layers", "--network", "none", "-t", "built:1", ctx], env: env)
        #expect(status == 0, "\(text)")
        let theirID = try run(podman + ["image", "inspect", "--format", "{{.Id}}", "built:1"], env: env).1.trimmingCharacters(in: .whitespacesAndNewlines)
        let theirInspect = try JSONValue.parse(try run(podman + ["image", "inspect", "built:1"], env: env).1).arrayValue?.first ?? .null
        for format in ["docker-archive", "oci-archive"] {
            let path = "\(work)/theirs-\(format).tar"
            (status, text) = try run(podman + ["save", "--format", format, "-o", path, "built:1"], env: env)
            #expect(status == 0, "\(text)")
            let loaded = try await store.load(from: path)
            #expect(loaded.first?.image.id.hex == theirID, "\(format)")
            let ours = try await store.image(theirID)
            #expect(ours.config.diffIDs.map(\.description) == theirInspect["RootFS"]?["Layers"]?.arrayValue?.compactMap(\.stringValue), "\(format)")
            #expect(ours.config.history.map { $0.createdBy ?? "" } == theirInspect["History"]?.arrayValue?.map { $0["created_by"]?.stringValue ?? "" }, "\(format)")
            #expect(ours.config.config.labels["maintainer"] == "me")
        }
        // The loaded build's deletion is a whiteout in our snapshot of its layer.
        let lowers = try await store.lowerDirectories(theirID)
        var st = stat()
        #expect(lstat(lowers[0] + "/bin/ls", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
    }
}
