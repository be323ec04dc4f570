import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

/// Archives that try to write outside the extraction root are refused by name, and nothing outside changes.
@Suite struct HostileArchiveTests {
    /// Builds a tar with Python's tarfile from a list of (kind, name, extra) members.
    func makeTar(_ members: [(String, String, String)]) throws -> String {
        let path = "/tmp/estiba-hostile-\(UUID().uuidString.prefix(8)).tar"
        let spec = members.map { "\($0.0)\t\($0.1)\t\($0.2)" }.joined(separator: "\n")
        try python(
            """
            import sys, tarfile, io
            out, spec = sys.argv[1], sys.argv[2]
            with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                for line in spec.split("\\n"):
                    kind, name, extra = line.split("\\t")
                    i = tarfile.TarInfo(name)
                    data = None
                    if kind == "file":
                        data = extra.encode(); i.size = len(data)
                    elif kind == "dir": i.type = tarfile.DIRTYPE
                    elif kind == "symlink": i.type = tarfile.SYMTYPE; i.linkname = extra
                    elif kind == "hardlink": i.type = tarfile.LNKTYPE; i.linkname = extra
                    elif kind == "chardev": i.type = tarfile.CHRTYPE; i.devmajor, i.devminor = 1, 3
                    t.addfile(i, io.BytesIO(data) if data is not None else None)
            """, [path, spec])
        return path
    }

    func expectRefused(
        _ members: [(String, String, String)], naming entry: String, options: ExtractOptions = ExtractOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let outside = try temporaryDirectory("outside")
        let parent = try temporaryDirectory("parent")
        let root = parent + "/root"
        mkdir(root, 0o755)
        defer { removeTree(outside); removeTree(parent) }
        let resolved = members.map { ($0.0, $0.1, $0.2.replacingOccurrences(of: "OUTSIDE", with: outside)) }
        let tar = try makeTar(resolved)
        defer { removeTree(tar) }
        do {
            _ = try LayerExtractor.extract(archive: tar, into: root, options: options)
            Issue.record("archive with \(entry) was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .badInput, "\(error)", sourceLocation: sourceLocation)
            #expect(error.context["entry"] == entry, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(entry), sourceLocation: sourceLocation)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["root"], sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil"), sourceLocation: sourceLocation)
    }

    @Test func dotDotIsRefused() throws {
        try expectRefused([("file", "../evil", "x")], naming: "../evil")
        try expectRefused([("dir", "a", ""), ("file", "a/../../evil", "x")], naming: "a/../../evil")
    }

    @Test func absolutePathsAreRefused() throws {
        try expectRefused([("file", "/tmp/evil", "x")], naming: "/tmp/evil")
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        try expectRefused([("symlink", "link", "OUTSIDE"), ("file", "link/evil", "x")], naming: "link/evil")
        try expectRefused([("symlink", "up", ".."), ("file", "up/evil", "x")], naming: "up/evil")
        try expectRefused(
            [("dir", "d", ""), ("symlink", "d/link", "/tmp"), ("dir", "d/link/sub", "")], naming: "d/link/sub/")
    }

    @Test func hardLinksOutOfTheTreeAreRefused() throws {
        try expectRefused([("hardlink", "passwd", "../../etc/passwd")], naming: "passwd")
        try expectRefused([("hardlink", "passwd", "/etc/passwd")], naming: "passwd")
        // A link whose target sits below a symlink to the outside.
        try expectRefused([("symlink", "etc", "/etc"), ("hardlink", "shadow", "etc/shadow")], naming: "shadow")
    }

    @Test func deviceNodesAreRefusedWhereNotAllowed() throws {
        try expectRefused(
            [("chardev", "dev/mem", "")], naming: "dev/mem",
            options: ExtractOptions(whiteouts: .overlay, allowDevices: false))
    }

    @Test func aSymlinkItselfMayPointAnywhere() throws {
        // Creating a symlink to the outside is fine: extraction never follows it.
        let dir = try temporaryDirectory("sym")
        defer { removeTree(dir) }
        let tar = try makeTar([("symlink", "etc-link", "/etc"), ("file", "etc-link2", "regular")])
        defer { removeTree(tar) }
        _ = try LayerExtractor.extract(archive: tar, into: dir)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/etc-link") == "/etc")
    }

    /// Device numbers beyond 32 bits (a pax header may say anything) are refused, never converted blindly.
    @Test func deviceNumbersOutOfRangeAreRefused() throws {
        let parent = try temporaryDirectory("devnum")
        defer { removeTree(parent) }
        for (kind, name) in [("CHRTYPE", "dev"), ("FIFOTYPE", "fifo")] {
            let tar = parent + "/\(name).tar"
            try python(
                """
                import sys, tarfile
                with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
                    i = tarfile.TarInfo(sys.argv[3])
                    i.type = getattr(tarfile, sys.argv[2])
                    i.pax_headers = {"SCHILY.devmajor": "99999999999", "SCHILY.devminor": "99999999999"}
                    t.addfile(i)
                """, [tar, kind, name])
            let root = parent + "/root-\(name)"
            mkdir(root, 0o755)
            do {
                _ = try LayerExtractor.extract(archive: tar, into: root, options: ExtractOptions(allowDevices: true))
                #expect(kind == "FIFOTYPE", "a device with a 37-bit number was made")
                var st = stat()
                #expect(lstat(root + "/fifo", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
            } catch {
                #expect(kind == "CHRTYPE" && error.code == .badInput && error.message.contains("device number"), "\(error)")
            }
        }
    }

    /// Makes `levels` nested directories named "d" under `root` (with descriptors: the path outgrows PATH_MAX).
    func makeDeepTree(_ root: String, levels: Int) {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        for _ in 0..<levels {
            mkdirat(fd, "d", 0o755)
            let sub = openat(fd, "d", O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = sub
        }
        close(openat(fd, "f", O_WRONLY | O_CREAT, 0o644))
        close(fd)
    }

    /// Trees deeper than the store walks are refused by name (an archive entry, or a directory being made into
    /// a layer), and removing one needs no recursion.
    @Test func treesTooDeepToWalkAreRefusedAndStillRemovable() throws {
        let parent = try temporaryDirectory("deep")
        defer { removeTree(parent) }
        let tar = parent + "/deep.tar"
        try python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
                i = tarfile.TarInfo("/".join(["a"] * 30000) + "/f"); i.size = 1
                t.addfile(i, io.BytesIO(b"x"))
            """, [tar])
        let root = parent + "/root"
        mkdir(root, 0o755)
        do {
            _ = try LayerExtractor.extract(archive: tar, into: root)
            Issue.record("an entry 30,000 directories deep was extracted")
        } catch {
            #expect(error.code == .badInput && error.message.contains("nested more than \(FileTree.maxDepth) directories deep"), "\(error)")
        }

        let deep = parent + "/tree"
        mkdir(deep, 0o755)
        makeDeepTree(deep, levels: 3_000)
        do {
            let (layer, _) = try writeLayer(deep)
            removeTree(layer)
            Issue.record("a tree 3,000 directories deep became a layer")
        } catch let error as EstibaError {
            #expect(error.code == .badInput && error.message.contains("nested more than"), "\(error)")
        }
        try FileDescriptor.open(parent, .directory).removeTree("tree")
        #expect(access(deep, F_OK) != 0)
    }
}
