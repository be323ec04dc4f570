import Glibc
import Runtime
import System
import Testing

/// A writable snapshot on a parent chain, and how overlays are mounted.
@Suite struct ActiveSnapshotTests {
    @Test func prepareMakesTheUpperAndWorkDirectories() throws {
        let dir = try temporaryDirectory("snapshot")
        defer { removeTree(dir) }
        let s = try ActiveSnapshot.prepare(in: dir, parents: ["/l/top", "/l/bottom"])
        var st = stat()
        #expect(stat(s.upper, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && (st.st_mode & 0o7777) == 0o755)
        #expect(stat(s.work, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
        #expect(s.mount.options == "lowerdir=/l/top:/l/bottom,upperdir=\(dir)/upper,workdir=\(dir)/work")
        #expect(ActiveSnapshot(directory: dir, parents: ["/l/top", "/l/bottom"]) == s)
        // Twice in one place: the directories are there already.
        #expect(throws: EstibaError.self) { try ActiveSnapshot.prepare(in: dir, parents: []) }
    }

    @Test func aViewHasOnlyLowerDirectories() {
        let view = OverlayMount(lowers: ["/a", "/b"])
        #expect(view.options == "lowerdir=/a:/b")
        #expect(view.upper == nil && view.work == nil)
    }

    @Test func aMountedSnapshotWritesToItsUpperDirectory() throws {
        let dir = try temporaryDirectory("mount")
        defer { removeTree(dir) }
        mkdir(dir + "/lower", 0o755)
        try write("from the image\n", to: dir + "/lower/file")
        mkdir(dir + "/snap", 0o755)
        let s = try ActiveSnapshot.prepare(in: dir + "/snap", parents: [dir + "/lower"])
        let scratch = try ScratchSpace(in: dir, prefix: "test")
        let root = try scratch.mount(s.mount, on: "rootfs")
        defer { scratch.unmountAll() }
        #expect(String(decoding: try Files.read(root + "/file"), as: UTF8.self) == "from the image\n")
        try write("new\n", to: root + "/added")
        #expect(try Files.read(s.upper + "/added") == Array("new\n".utf8))
        #expect(access(dir + "/lower/added", F_OK) != 0)
    }
}
