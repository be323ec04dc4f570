import ImageStore
import Synchronization
import System

/// Content digests of COPY/ADD sources, as Docker's classic builder computes them (tarsum v1 without mtime):
/// per entry `sha256(name mode uid gid size typeflag linkname uname gname devmajor devminor ‖ bytes)`; a file
/// source is `file:<hex>`, a directory `dir:` + sha256 of its entries' sorted digests joined by commas, several
/// sources `multi:` + sha256 of theirs. Touching a file's mtime changes nothing.
final class SourceHasher: Sendable {
    /// Digests by path and the stat fields that would reveal a change (size, mtime, ctime, inode).
    private let memo = Mutex<[String: (key: [Int], hex: String)]>([:])

    /// The digest of one entry, hex. Like Docker, a symbolic link counts as what it points to (the file that
    /// is "actually copied"); one that leads nowhere counts as its path.
    func entry(_ tree: SourceTree, _ rel: String, _ st: FileStatus) throws(EstibaError) -> String {
        if st.kind == .symbolicLink {
            guard let target = tree.resolve(rel), let tst = tree.status(target), tst.kind != .symbolicLink else { return rel }
            return try entry(tree, target, tst)
        }
        let memoKey = tree.root + "\u{0}" + rel
        let statKey = [
            Int(st.size), Int(st.modified.seconds), Int(st.modified.nanoseconds), Int(st.changed.seconds), Int(st.changed.nanoseconds),
            Int(truncatingIfNeeded: st.inode), Int(st.mode), Int(st.userID),
        ]
        if let hit = memo.withLock({ $0[memoKey] }), hit.key == statKey { return hit.hex }
        var name = rel
        var typeflag = "0"
        var size: Int64 = 0
        var link = ""
        var major: UInt32 = 0
        var minor: UInt32 = 0
        switch st.kind {
        case .directory:
            typeflag = "5"
            name += "/"
        case .symbolicLink:
            typeflag = "2"
            link = tree.readLink(rel)
        case .regular:
            size = st.size
        case .characterDevice, .blockDevice:
            typeflag = st.kind == .characterDevice ? "3" : "4"
            major = st.deviceMajor
            minor = st.deviceMinor
        case .fifo:
            typeflag = "6"
        case .socket, .unknown:
            break
        }
        // Context files arrive as uid/gid 0 with names blanked (Docker's client and tarsum); a stage's files keep
        // their owners, named as the host names them (Docker's daemon looks them up).
        var owners = "uid0gid0"
        var names = "unamegname"
        if tree.realOwners {
            owners = "uid\(st.userID)gid\(st.groupID)"
            names = "uname" + (UserDatabase.userName(st.userID) ?? "") + "gname" + (UserDatabase.groupName(st.groupID) ?? "")
        }
        let header = "name\(name)mode\(st.mode)\(owners)size\(size)typeflag\(typeflag)linkname\(link)\(names)devmajor\(major)devminor\(minor)"
        let h = SHA256()
        Array(header.utf8).withUnsafeBytes { h.update($0) }
        if st.kind == .regular, size > 0 {
            do {
                var reader = ChunkReader(try tree.open(rel, .noFollow))
                while let chunk = try reader.next() { h.update(chunk) }
            } catch {
                throw EstibaError.build(.io, "Cannot read \(rel) in \(tree.name): \(error.reason).")
            }
        }
        let hex = h.finalize().hex
        memo.withLock { $0[memoKey] = (statKey, hex) }
        return hex
    }

    /// The digest of one source (`file:…` or `dir:…`), adding each entry's digest to `files`.
    func source(_ tree: SourceTree, _ given: String, files: inout [(String, String)]) throws(EstibaError) -> String {
        // A source that is a link is followed: its target is what gets copied.
        var rel = given
        if tree.status(given)?.kind == .symbolicLink, let target = tree.resolve(given) { rel = target }
        guard let st = tree.status(rel) else { throw EstibaError.build(.notFound, "\(rel) is not in \(tree.name).") }
        if st.kind != .directory {
            let hex = try entry(tree, rel, st)
            files.append((rel, hex))
            return "file:" + hex
        }
        var hashes: [String] = []
        try tree.walk(rel, includeSelf: true) { (path, est) throws(EstibaError) in
            // Docker's walk skips the tree's root itself.
            if path.isEmpty { return }
            let hex = try entry(tree, path, est)
            hashes.append(hex)
            if est.kind != .directory { files.append((path, hex)) }
        }
        return "dir:" + Digest.of(hashes.sorted().joined(separator: ",")).hex
    }

    /// Combines several sources' digests like Docker (`multi:`).
    static func combine(_ hashes: [String]) -> String {
        hashes.count == 1 ? hashes[0] : "multi:" + Digest.of(hashes.joined(separator: ",")).hex
    }
}
