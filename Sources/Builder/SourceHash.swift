import CSys
import Glibc
import ImageStore
import Synchronization

/// Content digests of COPY/ADD sources, as Docker's classic builder computes them (tarsum v1 without mtime):
/// per entry `sha256(name mode uid gid size typeflag linkname uname gname devmajor devminor ‖ bytes)`; a file
/// source is `file:<hex>`, a directory `dir:` + sha256 of its entries' sorted digests joined by commas, several
/// sources `multi:` + sha256 of theirs. Touching a file's mtime changes nothing.
final class SourceHasher: Sendable {
    /// Digests by path and the stat fields that would reveal a change (size, mtime, ctime, inode).
    private let memo = Mutex<[String: (key: [Int], hex: String)]>([:])

    /// The digest of one entry, hex. Like Docker, a symbolic link counts as what it points to (the file that
    /// is "actually copied"); one that leads nowhere counts as its path.
    func entry(_ tree: SourceTree, _ rel: String, _ st: stat) throws(BuildError) -> String {
        if (st.st_mode & S_IFMT) == S_IFLNK {
            guard let target = tree.resolve(rel), let tst = tree.lstat(target), (tst.st_mode & S_IFMT) != S_IFLNK else { return rel }
            return try entry(tree, target, tst)
        }
        let kind = st.st_mode & S_IFMT
        let memoKey = tree.root + "\u{0}" + rel
        let statKey = [
            Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec, Int(st.st_ino),
            Int(st.st_mode), Int(st.st_uid),
        ]
        if let hit = memo.withLock({ $0[memoKey] }), hit.key == statKey { return hit.hex }
        var name = rel
        var typeflag = "0"
        var size: Int64 = 0
        var link = ""
        var major: UInt32 = 0
        var minor: UInt32 = 0
        switch kind {
        case S_IFDIR:
            typeflag = "5"
            name += "/"
        case S_IFLNK:
            typeflag = "2"
            link = tree.readLink(rel)
        case S_IFREG:
            size = Int64(st.st_size)
        case S_IFCHR, S_IFBLK:
            typeflag = kind == S_IFCHR ? "3" : "4"
            major = UInt32(csys_major(st.st_rdev))
            minor = UInt32(csys_minor(st.st_rdev))
        case S_IFIFO:
            typeflag = "6"
        default:
            break
        }
        // Context files arrive as uid/gid 0 with names blanked (Docker's client and tarsum); a stage's files keep
        // their owners, named as the host names them (Docker's daemon looks them up).
        var owners = "uid0gid0"
        var names = "unamegname"
        if tree.realOwners {
            owners = "uid\(st.st_uid)gid\(st.st_gid)"
            names = "uname" + Self.userName(st.st_uid) + "gname" + Self.groupName(st.st_gid)
        }
        let header = "name\(name)mode\(Int(st.st_mode))\(owners)size\(size)typeflag\(typeflag)linkname\(link)\(names)devmajor\(major)devminor\(minor)"
        let h = SHA256()
        Array(header.utf8).withUnsafeBytes { h.update($0) }
        if kind == S_IFREG, size > 0 {
            let fd = tree.open(rel, flags: O_RDONLY | O_NOFOLLOW)
            guard fd >= 0 else {
                throw BuildError(.io, "Cannot read \(rel) in \(tree.name): \(String(cString: strerror(errno))).")
            }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw BuildError(.io, "Cannot read \(rel) in \(tree.name): \(String(cString: strerror(errno))).") }
                if n == 0 { break }
                buffer.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
        let hex = h.finalize().hex
        memo.withLock { $0[memoKey] = (statKey, hex) }
        return hex
    }

    static func userName(_ uid: uid_t) -> String {
        guard let p = getpwuid(uid), let n = p.pointee.pw_name else { return "" }
        return String(cString: n)
    }

    static func groupName(_ gid: gid_t) -> String {
        guard let g = getgrgid(gid), let n = g.pointee.gr_name else { return "" }
        return String(cString: n)
    }

    /// The digest of one source (`file:…` or `dir:…`), adding each entry's digest to `files`.
    func source(_ tree: SourceTree, _ given: String, files: inout [(String, String)]) throws(BuildError) -> String {
        // A source that is a link is followed: its target is what gets copied.
        var rel = given
        if let lst = tree.lstat(given), (lst.st_mode & S_IFMT) == S_IFLNK, let target = tree.resolve(given) { rel = target }
        guard let st = tree.lstat(rel) else { throw BuildError(.notFound, "\(rel) is not in \(tree.name).") }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            let hex = try entry(tree, rel, st)
            files.append((rel, hex))
            return "file:" + hex
        }
        var hashes: [String] = []
        try tree.walk(rel, includeSelf: true) { (path, est) throws(BuildError) in
            // Docker's walk skips the tree's root itself.
            if path.isEmpty { return }
            let hex = try entry(tree, path, est)
            hashes.append(hex)
            if (est.st_mode & S_IFMT) != S_IFDIR { files.append((path, hex)) }
        }
        return "dir:" + Digest.of(hashes.sorted().joined(separator: ",")).hex
    }

    /// Combines several sources' digests like Docker (`multi:`).
    static func combine(_ hashes: [String]) -> String {
        hashes.count == 1 ? hashes[0] : "multi:" + Digest.of(hashes.joined(separator: ",")).hex
    }
}
