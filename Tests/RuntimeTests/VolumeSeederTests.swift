import Runtime
import System
import Testing

/// A new volume is filled with the image's files at its path, types, owners, modes and times kept.
@Suite struct VolumeSeederTests {
    @Test func copiesTheImagesTreeWithItsTypesOwnersModesAndTimes() throws {
        let dir = try temporaryDirectory("seed")
        defer { removeTree(dir) }
        let layer = dir + "/layer"
        try write("config\n", to: layer + "/data/conf/app.conf")
        try write("ignored\n", to: layer + "/elsewhere/file")
        let file = layer + "/data/conf/app.conf"
        try Files.setPermissions(file, 0o640)
        try FileDescriptor.open(file).setOwner(userID: 1234, groupID: 5678)
        try Files.setTimes(file, accessed: FileTime(seconds: 1_000_000), modified: FileTime(seconds: 2_000_000))
        try Files.setPermissions(layer + "/data", 0o750)
        try FileDescriptor.open(layer + "/data", .directory).setOwner(userID: 42, groupID: 43)
        try Files.makeSymbolicLink(layer + "/data/link", to: "conf/app.conf")
        try FileDescriptor.open(layer + "/data", .directory).makeNode("fifo", kind: .fifo, permissions: 0o600)
        // The volume's path is a link in the image: it resolves inside the image, never on the host.
        try Files.makeSymbolicLink(layer + "/shortcut", to: "/data")
        try Files.makeDirectories(dir + "/root")
        try Files.makeDirectories(dir + "/volume")

        try VolumeSeeder.seed(volume: dir + "/volume", image: [layer], path: "/shortcut", root: dir + "/root", scratch: VolumeSeeder.scratchSpace(root: dir + "/root"))

        let volume = dir + "/volume"
        #expect(try FileDescriptor.open(volume, .directory).names() == ["conf", "fifo", "link"])
        #expect(try Files.read(volume + "/conf/app.conf") == Array("config\n".utf8))
        let copied = try Files.status(volume + "/conf/app.conf")
        #expect(copied.permissions == 0o640 && copied.userID == 1234 && copied.groupID == 5678)
        #expect(copied.modified == FileTime(seconds: 2_000_000))
        #expect(try Files.readLink(volume + "/link") == "conf/app.conf")
        #expect(try Files.status(volume + "/fifo", followLinks: false).kind == .fifo)
        let root = try Files.status(volume)
        #expect(root.permissions == 0o750 && root.userID == 42 && root.groupID == 43)
        // The scratch directory and its mount are gone.
        #expect(try FileDescriptor.open(dir + "/root/tmp", .directory).names().isEmpty)
        #expect(try Mounts.points(under: dir).isEmpty)
    }

    @Test func aPathTheImageLacksLeavesTheVolumeEmpty() throws {
        let dir = try temporaryDirectory("seed-missing")
        defer { removeTree(dir) }
        try write("x\n", to: dir + "/layer/other/file")
        try Files.makeDirectories(dir + "/root")
        try Files.makeDirectories(dir + "/volume")
        try VolumeSeeder.seed(volume: dir + "/volume", image: [dir + "/layer"], path: "/data", root: dir + "/root", scratch: VolumeSeeder.scratchSpace(root: dir + "/root"))
        #expect(try FileDescriptor.open(dir + "/volume", .directory).names().isEmpty)
    }
}
