import ImageStore
import Runtime
import System
import Testing

/// A scratch directory holds its lock while it lives, and goes with what was mounted in it.
@Suite struct ScratchSpaceTests {
    @Test func itsLockIsHeldWhileItLivesAndItsDirectoryGoesWithIt() throws {
        let dir = try temporaryDirectory("scratch")
        defer { removeTree(dir) }
        let path: String
        do {
            let scratch = try ScratchSpace(in: dir, prefix: "step")
            path = scratch.directory
            #expect(path.hasPrefix(dir + "/step-"))
            let other = try FileDescriptor.open(path + "/" + ScratchDirectory.lockName, .readWrite)
            #expect(try other.lock(exclusive: true, wait: false) == false)
            try write("seen\n", to: dir + "/lower/file")
            try Files.makeDirectory(dir + "/empty")
            let view = try scratch.mount(OverlayMount(lowers: [dir + "/lower", dir + "/empty"]), on: "view")
            #expect(try Files.read(view + "/file") == Array("seen\n".utf8))
        }
        #expect(!Files.exists(path))
        #expect(try Mounts.points(under: dir).isEmpty)
    }
}
