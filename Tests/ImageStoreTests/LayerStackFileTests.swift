import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

/// Files read from overlay lower directories as the merged view shows them, never from the host.
@Suite struct LayerStackFileTests {
    /// Two layers, `top` and `bottom`, under a fresh directory.
    func layers() throws -> (dir: String, top: String, bottom: String) {
        let dir = try temporaryDirectory("stack")
        for d in ["top", "bottom"] { mkdir(dir + "/" + d, 0o755) }
        return (dir, dir + "/top", dir + "/bottom")
    }

    func text(_ path: String, _ layers: [String]) throws -> String? {
        try LayerStackFile.read(path, layers: layers, limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func linksResolveInsideTheStackAcrossLayers() throws {
        let (dir, top, bottom) = try layers()
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: bottom + "/data/etc", withIntermediateDirectories: true)
        try writeFile(bottom + "/data/etc/passwd", "in-image\n")
        mkdir(top + "/etc", 0o755)
        // Absolute, relative and climbing above the root: all stay in the stack.
        symlink("/data/etc/passwd", top + "/etc/passwd")
        symlink("../../../../data/etc/passwd", top + "/etc/group")
        symlink("/data/etc", top + "/etc-link")
        #expect(try text("/etc/passwd", [top, bottom]) == "in-image\n")
        #expect(try text("/etc/group", [top, bottom]) == "in-image\n")
        #expect(try text("/etc-link/passwd", [top, bottom]) == "in-image\n")
        // A link to a host path that the stack does not have is no file, whatever the host has.
        symlink(dir + "/host", top + "/hostlink")
        try writeFile(dir + "/host", "host\n")
        #expect(try text("/hostlink", [top, bottom]) == nil)
        symlink("/etc/os-release", top + "/etc/hostname")
        #expect(try text("/etc/hostname", [top, bottom]) == nil)
    }

    @Test func whiteoutsAndOpaqueDirectoriesHideLowerLayers() throws {
        let (dir, top, bottom) = try layers()
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: bottom + "/etc/sub", withIntermediateDirectories: true)
        try writeFile(bottom + "/etc/passwd", "lower\n")
        try writeFile(bottom + "/etc/group", "lower\n")
        try writeFile(bottom + "/etc/sub/f", "lower\n")
        try writeFile(bottom + "/opt", "a file\n")
        #expect(try text("/etc/passwd", [top, bottom]) == "lower\n")
        mkdir(top + "/etc", 0o755)
        #expect(mknod(top + "/etc/passwd", S_IFCHR, dev_t(FileStatus.deviceNumber(major: 0, minor: 0))) == 0)
        #expect(try text("/etc/passwd", [top, bottom]) == nil, "a whiteout hides the lower file")
        #expect(try text("/etc/group", [top, bottom]) == "lower\n", "the directories merge")
        #expect(setAttribute(top + "/etc", "trusted.overlay.opaque", "y"))
        #expect(try text("/etc/group", [top, bottom]) == nil, "an opaque directory hides everything below it")
        #expect(try text("/etc/sub/f", [top, bottom]) == nil)
        // A directory above a lower file: the lower file is not there.
        mkdir(top + "/opt", 0o755)
        #expect(try text("/opt", [top, bottom]) == nil)
    }

    @Test func onlyRegularFilesWithinTheLimitAreRead() throws {
        let (dir, top, bottom) = try layers()
        defer { removeTree(dir) }
        mkdir(top + "/etc", 0o755)
        #expect(mkfifo(top + "/etc/passwd", 0o644) == 0)
        #expect(throws: EstibaError.self) { try text("/etc/passwd", [top, bottom]) }
        #expect(mknod(top + "/etc/zero", S_IFCHR | 0o666, dev_t(FileStatus.deviceNumber(major: 1, minor: 5))) == 0)
        #expect(throws: EstibaError.self) { try text("/etc/zero", [top, bottom]) }
        try writeFile(top + "/etc/group", String(repeating: "x", count: 2 << 20))
        let tooLarge = #expect(throws: EstibaError.self) { try text("/etc/group", [top, bottom]) }
        #expect(tooLarge?.message.contains("larger than 1 MiB") == true, "\(String(describing: tooLarge))")
        symlink("loop-b", top + "/loop-a")
        symlink("loop-a", top + "/loop-b")
        #expect(throws: EstibaError.self) { try text("/loop-a", [top, bottom]) }
    }
}
