import Glibc
import System
import Testing

@Suite struct TreeRemovalTests {
    @Test func removesTheTreeWithoutFollowingLinksOutOfIt() throws {
        let scratch = try Scratch()
        try scratch.write("outside/keep.txt", "keep")
        try scratch.write("outside/sub/keep2.txt", "keep2")
        try scratch.write("tree/a/b/c/file", "x")
        try scratch.write("tree/a/.hidden", "y")
        try scratch.link("tree/dirlink", to: "../outside")
        try scratch.link("tree/a/filelink", to: scratch.at("outside/keep.txt"))
        try scratch.link("tree/a/b/abslink", to: scratch.at("outside"))
        try Files.makeDirectory(scratch.at("tree/empty"))
        _ = mkfifo(scratch.at("tree/a/fifo"), 0o600)

        try Files.removeTree(scratch.at("tree"))

        #expect(!Files.exists(scratch.at("tree")))
        #expect(scratch.read("outside/keep.txt") == "keep")
        #expect(scratch.read("outside/sub/keep2.txt") == "keep2")
    }

    @Test func aLinkGivenAsTheTreeIsRemovedNotFollowed() throws {
        let scratch = try Scratch()
        try scratch.write("outside/keep.txt", "keep")
        try scratch.link("top", to: scratch.at("outside"))
        try Files.removeTree(scratch.at("top"))
        #expect((try? Files.status(scratch.at("top"), followLinks: false)) == nil)
        #expect(scratch.read("outside/keep.txt") == "keep")
    }

    @Test func removesATreeDeeperThanAPathCanName() throws {
        let scratch = try Scratch()
        var dir = try FileDescriptor.open(scratch.path, .directory)
        // 900 levels of "deep/" name more than PATH_MAX (4096 bytes) holds.
        for _ in 0..<900 {
            try dir.makeDirectory("deep")
            dir = try dir.open("deep", .directory)
        }
        try dir.writeAllFile("leaf", "bottom")
        try FileDescriptor.open(scratch.path, .directory).removeTree("deep")
        #expect(try FileDescriptor.open(scratch.path, .directory).names().isEmpty)
    }

    @Test func aMissingTreeIsFineAndTheRootIsRefused() throws {
        let scratch = try Scratch()
        try Files.removeTree(scratch.at("nothing-here"))
        #expect(throws: EstibaError.self) { try Files.removeTree("/") }
        #expect(throws: EstibaError.self) { try Files.removeTree(scratch.at("..")) }
        #expect(throws: EstibaError.self) { try FileDescriptor.open(scratch.path, .directory).removeTree("..") }
        #expect(Files.exists(scratch.path))
    }
}

extension FileDescriptor {
    /// Creates the file `name` in this directory holding `text`.
    func writeAllFile(_ name: String, _ text: String) throws {
        try open(name, [.writeOnly, .create, .exclusive]).writeAll(text)
    }
}
