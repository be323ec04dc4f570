import Foundation
import Glibc
import Testing

@testable import ImageStore

@Suite struct LayerRoundTripTests {
    /// A tree with every file type and the attributes a layer must keep.
    func makeTree(_ root: String) throws {
        let isRoot = geteuid() == 0
        try FileManager.default.createDirectory(atPath: root + "/etc/conf.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try writeFile(root + "/etc/hostname", "estiba\n")
        try writeFile(root + "/etc/conf.d/secret", "s3cret", mode: 0o600)
        try writeFile(root + "/usr/bin/tool", "#!/bin/sh\necho tool\n", mode: 0o4755)
        try writeFile(root + "/empty", "")
        try writeFile(root + "/ñandú ☃.txt", "unicode name")
        link(root + "/usr/bin/tool", root + "/usr/bin/tool-alias")
        symlink("../etc/hostname", root + "/usr/hostname-link")
        symlink("/etc/passwd", root + "/absolute-link")
        mkfifo(root + "/fifo", 0o644)
        chmod(root + "/etc/conf.d", 0o750)
        setAttribute(root + "/etc/hostname", "user.estiba", "v1")
        if isRoot {
            mknod(root + "/null", S_IFCHR | 0o666, dev_t(1 << 8 | 3))
            chown(root + "/etc/conf.d/secret", 1000, 1001)
            chown(root + "/etc/conf.d", 1000, 1001)
            lchown(root + "/absolute-link", 7, 8)
        }
        for p in ["/etc/hostname", "/etc/conf.d/secret", "/usr/bin/tool", "/empty", "/fifo", "/ñandú ☃.txt"] {
            setMtime(root + p, 1_600_000_000)
        }
        setMtime(root + "/usr/hostname-link", 1_500_000_000, nofollow: true)
        setMtime(root + "/absolute-link", 1_500_000_000, nofollow: true)
        if isRoot { setMtime(root + "/null", 1_600_000_000) }
    }

    @Test func everyFileTypeSurvivesWriteAndExtract() throws {
        let src = try temporaryDirectory("src")
        let dst = try temporaryDirectory("dst")
        defer { removeTree(src); removeTree(dst) }
        try makeTree(src)
        let (tar, layer) = try writeLayer(src)
        defer { removeTree(tar) }
        #expect(layer.size > 0)
        #expect(fileSHA256(tar) == layer.diffID.description)
        let stats = try LayerExtractor.extract(archive: tar, into: dst)
        #expect(stats.entries >= 12)
        let a = try describeTree(src)
        let b = try describeTree(dst)
        #expect(a.count == b.count)
        for (path, desc) in a { #expect(b[path] == desc, "\(path)") }
        // The hard link is a hard link again.
        var s1 = stat(), s2 = stat()
        stat(dst + "/usr/bin/tool", &s1)
        stat(dst + "/usr/bin/tool-alias", &s2)
        #expect(s1.st_ino == s2.st_ino)
    }

    @Test func sameTreeGivesSameBytes() throws {
        let src = try temporaryDirectory("src")
        let copy = try temporaryDirectory("copy")
        defer { removeTree(src); removeTree(copy) }
        try makeTree(src)
        let (t1, l1) = try writeLayer(src)
        // Reading files changes their atime; a copy made elsewhere has other inodes and ctimes.
        _ = FileManager.default.contents(atPath: src + "/etc/hostname")
        let (t2, l2) = try writeLayer(src)
        let cp = Process()
        cp.executableURL = URL(fileURLWithPath: "/bin/cp")
        cp.arguments = ["-a", src + "/.", copy]
        try cp.run()
        cp.waitUntilExit()
        let (t3, l3) = try writeLayer(copy)
        defer { removeTree(t1); removeTree(t2); removeTree(t3) }
        #expect(l1 == l2)
        #expect(l1 == l3)
    }

    @Test func emptyLayerIsDockersEmptyLayer() throws {
        let src = try temporaryDirectory("empty")
        defer { removeTree(src) }
        let (tar, layer) = try writeLayer(src)
        defer { removeTree(tar) }
        #expect(layer.diffID == Digest.emptyLayer)
        #expect(layer.diffID.description == "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
        #expect(layer.size == 1024)
    }

    @Test func readsTarsFromOtherTools() throws {
        // GNU tar with gzip and xz: the formats rootfs tarballs come in.
        let src = try temporaryDirectory("src")
        let dst1 = try temporaryDirectory("dst")
        let dst2 = try temporaryDirectory("dst")
        defer { removeTree(src); removeTree(dst1); removeTree(dst2) }
        try makeTree(src)
        for (flag, dst) in [("-czf", dst1), ("-cJf", dst2)] {
            let archive = "/tmp/estiba-gnu-\(UUID().uuidString.prefix(6)).tar"
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["--xattrs", "--xattrs-include=user.*", flag, archive, "-C", src, "."]
            try tar.run()
            tar.waitUntilExit()
            defer { removeTree(archive) }
            _ = try LayerExtractor.extract(archive: archive, into: dst)
            #expect(try describeTree(dst) == describeTree(src), "\(flag)")
        }
    }
}
