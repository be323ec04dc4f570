import EstibaJSON
import Foundation
import Glibc
import Testing

@testable import ImageStore

/// Other OCI tools read Estiba's store as-is.
@Suite struct InteropTests {
    func run(_ args: [String]) throws -> (status: Int32, output: String) { try runProcess(args) }

    /// The tool, or nil (an issue under CI, where .ci/install provides it).
    func tool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("\(name) is not installed", sourceLocation: sourceLocation) }
        return nil
    }

    func makeImage(_ root: String, _ src: String) async throws -> (ImageStore, ImageRecord) {
        for d in ["bin", "etc/app", "var/empty"] { try FileManager.default.createDirectory(atPath: "\(src)/\(d)", withIntermediateDirectories: true) }
        try writeFile(src + "/bin/run", "#!/bin/sh\nexec echo ok\n", mode: 0o755)
        try writeFile(src + "/etc/app/conf", "x=1\n", mode: 0o640)
        link(src + "/bin/run", src + "/bin/run2")
        symlink("/bin/run", src + "/bin/abs")
        chown(src + "/etc/app/conf", 1234, 5678)
        let store = try ImageStore(root: root)
        var cfg = ContainerConfig()
        cfg.cmd = ["/bin/run"]
        cfg.labels = ["org.example": "yes"]
        let image = try await store.importImage(.directory(src), config: cfg, reference: ImageReference(name: "interop", tag: "1"), comment: "test")
        return (store, image)
    }

    @Test func ociImageToolValidatesTheLayout() async throws {
        guard let oit = tool("oci-image-tool") else { return }
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        let (store, _) = try await makeImage(root, src)
        let r = try run([oit, "validate", "--type", "image", "--ref", "name=interop:1", store.layout.oci])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test func skopeoReadsCopiesAndWritesBack() async throws {
        guard let skopeo = tool("skopeo") else { return }
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        let work = try temporaryDirectory("skopeo")
        defer { removeTree(root); removeTree(src); removeTree(work) }
        let (store, image) = try await makeImage(root, src)
        let ref = "oci:\(store.layout.oci):interop:1"
        let inspect = try run([skopeo, "inspect", "--config", ref])
        #expect(inspect.status == 0, "\(inspect.output)")
        let config = try JSONValue.parse(inspect.output)
        #expect(config["config"]?["Labels"]?["org.example"] == "yes")
        #expect(config["rootfs"]?["diff_ids"] == [.string(image.config.diffIDs[0].description)])

        // To a docker-archive and back into another OCI layout: same config, same layer.
        let archive = work + "/image.tar"
        let copy = try run([skopeo, "copy", ref, "docker-archive:\(archive):interop:1"])
        #expect(copy.status == 0, "\(copy.output)")
        let back = try run([skopeo, "copy", "docker-archive:\(archive)", "oci:\(work)/layout:again"])
        #expect(back.status == 0, "\(back.output)")
        let again = try run([skopeo, "inspect", "--config", "oci:\(work)/layout:again"])
        #expect(try JSONValue.parse(again.output)["rootfs"] == config["rootfs"])
    }

    @Test func umociUnpacksTheSameTreeAsOurSnapshot() async throws {
        guard let umoci = tool("umoci"), geteuid() == 0 else { return }
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        let bundle = try temporaryDirectory("bundle")
        defer { removeTree(root); removeTree(src); removeTree(bundle) }
        let (store, _) = try await makeImage(root, src)
        removeTree(bundle)
        let r = try run([umoci, "unpack", "--image", "\(store.layout.oci):interop:1", bundle])
        #expect(r.status == 0, "\(r.output)")
        let lowers = try await store.lowerDirectories("interop:1")
        let theirs = try describeTree(bundle + "/rootfs")
        let ours = try describeTree(lowers[0])
        #expect(theirs.count == ours.count)
        for (path, d) in ours { #expect(theirs[path] == d, "\(path)") }
        #expect(theirs["etc/app/conf"]?.contains("uid=1234 gid=5678") == true)
    }
}
