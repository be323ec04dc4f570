import Foundation
import Glibc
import Testing

@testable import ImageStore

@Suite struct WhiteoutTests {
    func makeTar(_ dir: String) throws -> String {
        let (path, _) = try writeLayer(dir)
        return path
    }

    /// A layer deleting `dir/gone` and making `opaque` opaque, with one new file in `opaque`.
    func upperLayerTar() throws -> String {
        let path = "/tmp/estiba-wh-\(UUID().uuidString.prefix(8)).tar"
        try python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
                for name, data in [("dir/.wh.gone", b""), ("opaque/new", b"new"), ("opaque/.wh..wh..opq", b"")]:
                    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            """, [path])
        return path
    }

    func makeLower(_ dir: String) throws {
        for d in ["dir", "opaque/sub"] { try FileManager.default.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true) }
        try writeFile(dir + "/dir/gone", "old")
        try writeFile(dir + "/dir/kept", "kept")
        try writeFile(dir + "/opaque/old", "old")
        try writeFile(dir + "/opaque/sub/deep", "old")
    }

    @Test func applyModeDeletes() throws {
        let dir = try temporaryDirectory("apply")
        defer { removeTree(dir) }
        try makeLower(dir)
        let tar = try upperLayerTar()
        defer { removeTree(tar) }
        _ = try LayerExtractor.extract(archive: tar, into: dir, options: ExtractOptions(whiteouts: .apply))
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: dir + "/dir/gone"))
        #expect(fm.fileExists(atPath: dir + "/dir/kept"))
        // The opaque marker came after "new" in the archive, yet only the lower contents are hidden.
        #expect(try fm.contentsOfDirectory(atPath: dir + "/opaque") == ["new"])
        #expect(!fm.fileExists(atPath: dir + "/dir/.wh.gone"))
    }

    @Test func overlayModeMakesOverlayWhiteoutsAndOverlayHonoursThem() throws {
        let lower = try temporaryDirectory("lower")
        let upper = try temporaryDirectory("upperlayer")
        let work = try temporaryDirectory("mnt")
        defer { removeTree(lower); removeTree(upper); removeTree(work) }
        try makeLower(lower)
        let tar = try upperLayerTar()
        defer { removeTree(tar) }
        _ = try LayerExtractor.extract(archive: tar, into: upper, options: ExtractOptions(whiteouts: .overlay))
        var st = stat()
        #expect(lstat(upper + "/dir/gone", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0)
        #expect(attribute(upper + "/opaque", "trusted.overlay.opaque") == "y")

        // Both extracted layers as overlay lower directories: the merged view shows the deletions.
        guard geteuid() == 0 else { return }
        let merged = work + "/merged"
        mkdir(merged, 0o755)
        let rc = mount("overlay", merged, "overlay", 0, "lowerdir=\(upper):\(lower)")
        #expect(rc == 0, "overlay mount failed: \(String(cString: strerror(errno)))")
        guard rc == 0 else { return }
        defer { umount(merged) }
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: merged + "/dir/gone"))
        #expect(fm.fileExists(atPath: merged + "/dir/kept"))
        #expect(try fm.contentsOfDirectory(atPath: merged + "/opaque") == ["new"])
    }

    @Test func upperDirectoryBecomesOCIWhiteouts() throws {
        let upper = try temporaryDirectory("upper")
        let out = try temporaryDirectory("out")
        defer { removeTree(upper); removeTree(out) }
        guard geteuid() == 0 else { return }  // overlay whiteouts are device nodes: root only
        try FileManager.default.createDirectory(atPath: upper + "/dir", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: upper + "/opaque", withIntermediateDirectories: true)
        mknod(upper + "/dir/gone", S_IFCHR, 0)
        setAttribute(upper + "/opaque", "trusted.overlay.opaque", "y")
        try writeFile(upper + "/opaque/new", "new")
        let (tar, _) = try writeLayer(upper, overlayUpper: true)
        defer { removeTree(tar) }
        let listing = try python(
            "import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, m.type.decode(), m.size, sorted(m.pax_headers))",
            [tar])
        let lines = listing.split(separator: "\n").map(String.init)
        #expect(lines.contains("dir/.wh.gone 0 0 []"))
        #expect(lines.contains("opaque/.wh..wh..opq 0 0 []"))
        #expect(!listing.contains("trusted.overlay"))
        #expect(!lines.contains { $0.hasPrefix("dir/gone") })
    }
}
