import Testing
import System

@testable import Builder

/// Writing into a root being built: directories and copies stay inside it, and a volume's changes are
/// discarded without following links.
@Suite struct RootFSTests {
    /// Copying a context tree keeps each entry's kind, mode, content and modification time, owned as `--chown`
    /// asks; a file never replaces a directory.
    @Test func aCopiedTreeKeepsKindsModesAndTimesOwnedAsAsked() throws {
        let f = try FileLayout("copy", directories: ["image"], files: ["context/sub/a.txt": Array("hello".utf8)])
        defer { f.remove() }
        try Files.setPermissions(f.at("context/sub/a.txt"), 0o640)
        let time = FileTime(seconds: 1_000_000, nanoseconds: 5)
        try Files.setTimes(f.at("context/sub/a.txt"), accessed: time, modified: time)
        try f.link(["context/link": "sub/a.txt"])
        try FileDescriptor.open(f.at("context"), .directory).makeNode("fifo", kind: .fifo, permissions: 0o600)
        let tree = try SourceTree(root: f.at("context"), ignore: nil, name: "the build context")
        var copier = TreeCopier(source: tree, attributes: CopyAttributes(uid: 1, gid: 2))
        let app = try RootFS(path: f.at("image")).makeDirectories("/app", owner: (0, 0))
        try copier.copyContents(of: "", into: app)
        let file = try Files.status(f.at("image/app/sub/a.txt"))
        #expect(file.kind == .regular && file.permissions == 0o640 && file.userID == 1 && file.groupID == 2)
        #expect(file.modified == time)
        #expect(try Files.read(f.at("image/app/sub/a.txt")) == Array("hello".utf8))
        #expect(copier.bytes == 5)
        #expect(try Files.readLink(f.at("image/app/link")) == "sub/a.txt")
        #expect(try Files.status(f.at("image/app/link"), followLinks: false).userID == 1)
        #expect(try Files.status(f.at("image/app/fifo"), followLinks: false).kind == .fifo)
        #expect(try Files.status(f.at("image/app/sub")).groupID == 2)
        try Files.makeDirectory(f.at("image/app/taken"))
        let source = try #require(tree.status("sub/a.txt"))
        let error = #expect(throws: EstibaError.self) { try copier.copy("sub/a.txt", st: source, into: app, as: "taken") }
        #expect(error?.code == .invalidArgument)
    }

    /// Image paths resolve inside the root: a link to a host path leads below the root, `..` stops at it, and
    /// nothing is made outside.
    @Test func directoriesAreMadeInsideTheRootWhateverItsLinksSay() throws {
        let f = try FileLayout("rootfs", directories: ["image/real", "outside"])
        defer { f.remove() }
        try f.link(["image/escape": f.at("outside"), "image/up": "../../..", "image/inside": "/real"])
        let root = try RootFS(path: f.at("image"))
        #expect(throws: EstibaError.self) { try root.makeDirectories("/escape/new", owner: (0, 0)) }
        _ = try root.makeDirectories("/up/made", owner: (0, 0))
        _ = try root.makeDirectories("/inside/sub/deeper", owner: (3, 4))
        #expect(try FileDescriptor.open(f.at("outside"), .directory).names() == [])
        #expect(Files.exists(f.at("image/made")))
        let made = try Files.status(f.at("image/real/sub/deeper"))
        #expect(made.userID == 3 && made.groupID == 4 && made.permissions == 0o755)
        #expect(root.status("/inside")?.kind == .directory)
        #expect(root.status("/escape") == nil)
    }

    /// What a RUN wrote under a VOLUME goes: the volume's directory is emptied and loses its opaque mark, and
    /// a path through a symbolic link is left alone.
    @Test func aVolumesChangesAreDiscardedButNeverThroughALink() throws {
        let f = try FileLayout("discard", files: ["upper/data/a": [1], "upper/data/sub/b": [2], "upper/keep/c": [3], "outside/d": [4]])
        defer { f.remove() }
        try f.link(["upper/link": f.at("outside")])
        let upper = f.at("upper")
        let data = try FileDescriptor.open(f.at("upper/data"), .directory)
        try data.setExtendedAttribute("trusted.overlay.opaque", Array("y".utf8))
        BuildRun.discardChanges(under: "/data/", in: upper)
        #expect(try data.names() == [])
        #expect(try data.extendedAttribute("trusted.overlay.opaque") == nil)
        #expect(try FileDescriptor.open(f.at("upper/keep"), .directory).names() == ["c"])
        BuildRun.discardChanges(under: "/link", in: upper)
        BuildRun.discardChanges(under: "/keep/../link", in: upper)
        #expect(try FileDescriptor.open(f.at("outside"), .directory).names() == ["d"])
    }
}
