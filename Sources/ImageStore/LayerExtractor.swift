import CArchive
import CSys
import Glibc

/// How an extraction treats the layer's contents.
public struct ExtractOptions: Sendable {
    public enum Whiteouts: Sendable {
        /// Keep the layer as an overlayfs lower directory: `.wh.x` becomes a char device 0/0 named `x`, and
        /// `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory.
        case overlay
        /// Apply the layer onto the tree below it: `.wh.x` removes `x`, `.wh..wh..opq` removes everything in its
        /// directory that this layer did not add.
        case apply
    }

    public var whiteouts: Whiteouts
    /// Character and block device nodes are created only when allowed (and otherwise refused by name).
    public var allowDevices: Bool
    /// Give files the uid/gid recorded in the archive (needs root; otherwise files belong to the caller).
    public var preserveOwnership: Bool

    public init(whiteouts: Whiteouts = .overlay, allowDevices: Bool = true, preserveOwnership: Bool = geteuid() == 0) {
        self.whiteouts = whiteouts
        self.allowDevices = allowDevices
        self.preserveOwnership = preserveOwnership
    }
}

public struct ExtractStats: Sendable, Equatable {
    public var entries: Int
    /// Bytes of file content written.
    public var bytes: Int64
}

/// Extracts a tar (plain or compressed: gzip, zstd, xz, bzip2) under a directory. Every path is resolved from
/// the directory's descriptor without following symbolic links, so no entry can write outside it: absolute
/// paths, `..`, entries below a symbolic link, hard links out of the tree and (unless allowed) device nodes are
/// refused with an error naming the entry.
public enum LayerExtractor {
    public static func extract(archive path: String, into directory: String, options: ExtractOptions = ExtractOptions())
        throws(StoreError) -> ExtractStats
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("Cannot open", path, errno: errno) }
        defer { close(fd) }
        return try extract(fd: fd, name: path, into: directory, options: options)
    }

    public static func extract(fd: Int32, name: String, into directory: String, options: ExtractOptions = ExtractOptions())
        throws(StoreError) -> ExtractStats
    {
        _ = ArchiveLocale.ready
        let root = try RootedDirectory(path: directory)
        guard let a = archive_read_new() else { throw StoreError(.io, "libarchive could not allocate a reader.") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_fd(a, fd, 1 << 20) == ARCHIVE_OK else {
            throw readError(a, "Cannot read \(name) as a tar archive")
        }
        var state = ExtractionState(root: root, archive: a, options: options)
        while true {
            var entry: OpaquePointer? = nil
            let rc = archive_read_next_header(a, &entry)
            if rc == ARCHIVE_EOF { break }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let entry else {
                throw readError(a, "\(name) is not a valid tar archive (entry \(state.stats.entries + 1))")
            }
            try state.apply(entry)
        }
        try state.finishDirectories()
        return state.stats
    }

    static func readError(_ a: OpaquePointer, _ what: String) -> StoreError {
        let detail = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return StoreError(.corrupt, "\(what): \(detail).")
    }
}

struct ExtractionState {
    let root: RootedDirectory
    let archive: OpaquePointer
    let options: ExtractOptions
    var stats = ExtractStats(entries: 0, bytes: 0)
    /// Paths this layer has written (for opaque directories in `.apply` mode).
    var written: Set<String> = []
    /// Directory attributes are set last, once nothing more is written inside them.
    var directories: [(path: EntryPath, perm: mode_t, mtime: timespec)] = []

    init(root: RootedDirectory, archive: OpaquePointer, options: ExtractOptions) {
        self.root = root
        self.archive = archive
        self.options = options
    }

    mutating func apply(_ e: OpaquePointer) throws(StoreError) {
        stats.entries += 1
        // UTF-8 accessors: the process locale is "C", where libarchive's default conversion fails on non-ASCII.
        guard let rawPointer = archive_entry_pathname_utf8(e) ?? archive_entry_pathname(e) else {
            throw StoreError(.corrupt, "Archive entry \(stats.entries) has no name.")
        }
        let raw = String(cString: rawPointer)
        let path = try EntryPath(raw)
        if path.isRoot { return }
        let name = path.name
        if name.hasPrefix(".wh.") {
            try whiteout(path, raw: raw)
            return
        }
        let parent = try root.openDirectory(path.parent, create: true, entry: raw)
        defer { close(parent) }
        let uid = uid_t(truncatingIfNeeded: archive_entry_uid(e))
        let gid = gid_t(truncatingIfNeeded: archive_entry_gid(e))
        let perm = mode_t(archive_entry_perm(e))
        let mtime = timespec(tv_sec: archive_entry_mtime(e), tv_nsec: archive_entry_mtime_nsec(e))
        written.insert(path.description)

        if let link = archive_entry_hardlink_utf8(e) ?? archive_entry_hardlink(e) {
            try hardlink(path, raw: raw, parent: parent, target: String(cString: link))
            return
        }
        let type = archive_entry_filetype(e) & CA_IFMT
        switch type {
        case CA_IFDIR:
            if let st = RootedDirectory.lstatAt(parent, name), (st.st_mode & S_IFMT) == S_IFDIR {
                // Directory over directory: keep its contents, take the new attributes.
            } else {
                try RootedDirectory.removeTree(parent, name)
                guard mkdirat(parent, name, 0o700) == 0 else { throw StoreError.io("Cannot create directory", raw, errno: errno) }
            }
            let dfd = csys_openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            guard dfd >= 0 else { throw StoreError.io("Cannot open directory", raw, errno: errno) }
            defer { close(dfd) }
            if options.preserveOwnership { _ = fchown(dfd, uid, gid) }
            setXattrs(e, fd: dfd)
            directories.append((path, perm, mtime))
        case CA_IFREG:
            try RootedDirectory.removeTree(parent, name)
            let fd = csys_openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw StoreError.io("Cannot create", raw, errno: errno) }
            defer { close(fd) }
            try copyData(to: fd, raw: raw, size: archive_entry_size(e))
            if options.preserveOwnership { _ = fchown(fd, uid, gid) }
            fchmod(fd, perm)
            setXattrs(e, fd: fd)
            var times = [mtime, mtime]
            futimens(fd, &times)
        case CA_IFLNK:
            guard let target = archive_entry_symlink_utf8(e) ?? archive_entry_symlink(e) else { throw StoreError(.corrupt, "Symbolic link \(raw) has no target.") }
            try RootedDirectory.removeTree(parent, name)
            guard symlinkat(target, parent, name) == 0 else { throw StoreError.io("Cannot create symbolic link", raw, errno: errno) }
            if options.preserveOwnership { _ = fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
            var times = [mtime, mtime]
            utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW)
        case CA_IFCHR, CA_IFBLK, CA_IFIFO:
            if type != CA_IFIFO, !options.allowDevices {
                throw StoreError.unsafe(raw, "device nodes are not allowed in this extraction")
            }
            try RootedDirectory.removeTree(parent, name)
            let kind: mode_t = type == CA_IFCHR ? S_IFCHR : type == CA_IFBLK ? S_IFBLK : S_IFIFO
            var dev: dev_t = 0
            if type != CA_IFIFO {
                // A pax header may give any number; the kernel takes 32-bit major and minor numbers.
                guard let major = UInt32(exactly: archive_entry_rdevmajor(e)), let minor = UInt32(exactly: archive_entry_rdevminor(e)) else {
                    throw StoreError.unsafe(raw, "its device number is out of range")
                }
                dev = csys_makedev(major, minor)
            }
            guard mknodat(parent, name, kind | perm, dev) == 0 else {
                throw StoreError.io("Cannot create special file", raw, errno: errno)
            }
            if options.preserveOwnership { _ = fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
            fchmodat(parent, name, perm, 0)
            var times = [mtime, mtime]
            utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW)
        default:
            break  // sockets and unknown types are not part of images
        }
    }

    mutating func whiteout(_ path: EntryPath, raw: String) throws(StoreError) {
        let parent = try root.openDirectory(path.parent, create: true, entry: raw)
        defer { close(parent) }
        if path.name == ".wh..wh..opq" {
            switch options.whiteouts {
            case .overlay:
                guard Xattrs.set(parent, Xattrs.overlayOpaque, Array("y".utf8)) else {
                    throw StoreError.io("Cannot mark directory opaque for", raw, errno: errno)
                }
            case .apply:
                try pruneUnwritten(parent, path.parent)
            }
            return
        }
        let hidden = String(path.name.dropFirst(4))
        if hidden.isEmpty || hidden == "." || hidden == ".." {
            throw StoreError.unsafe(raw, "a whiteout must name the file it deletes")
        }
        try RootedDirectory.removeTree(parent, hidden)
        if options.whiteouts == .overlay {
            guard mknodat(parent, hidden, S_IFCHR, csys_makedev(0, 0)) == 0 else {
                throw StoreError.io("Cannot create whiteout for", raw, errno: errno)
            }
        }
    }

    /// Removes what is in `dir` but was not written by this layer (recursively into directories it did write).
    func pruneUnwritten(_ dirfd: Int32, _ dir: EntryPath) throws(StoreError) {
        for child in RootedDirectory.listNames(dirfd) {
            let childPath = dir.appending(child)
            if written.contains(childPath.description) {
                guard let st = RootedDirectory.lstatAt(dirfd, child), (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                let sub = csys_openat(dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
                guard sub >= 0 else { continue }
                defer { close(sub) }
                try pruneUnwritten(sub, childPath)
            } else {
                try RootedDirectory.removeTree(dirfd, child)
            }
        }
    }

    func hardlink(_ path: EntryPath, raw: String, parent: Int32, target rawTarget: String) throws(StoreError) {
        let target: EntryPath
        do {
            target = try EntryPath(rawTarget)
        } catch {
            throw StoreError.unsafe(raw, "its hard link target \"\(rawTarget)\" is outside the extraction root")
        }
        if target.isRoot { throw StoreError.unsafe(raw, "a hard link cannot point at the root directory") }
        let targetParent: Int32
        do {
            targetParent = try root.openDirectory(target.parent, create: false, entry: raw)
        } catch {
            if error.code == .notFound { throw StoreError.unsafe(raw, "its hard link target \"\(rawTarget)\" is not in the archive") }
            throw error
        }
        defer { close(targetParent) }
        guard let st = RootedDirectory.lstatAt(targetParent, target.name) else {
            throw StoreError.unsafe(raw, "its hard link target \"\(rawTarget)\" is not in the archive")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw StoreError.unsafe(raw, "a hard link cannot point at a directory") }
        try RootedDirectory.removeTree(parent, path.name)
        // Flags 0: a link to a symbolic link links the symlink itself, never what it points to.
        guard linkat(targetParent, target.name, parent, path.name, 0) == 0 else {
            throw StoreError.io("Cannot create hard link", raw, errno: errno)
        }
    }

    mutating func copyData(to fd: Int32, raw: String, size: Int64) throws(StoreError) {
        var block: UnsafeRawPointer? = nil
        var length = 0
        var offset: Int64 = 0
        while true {
            let rc = archive_read_data_block(archive, &block, &length, &offset)
            if rc == ARCHIVE_EOF { break }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else {
                throw LayerExtractor.readError(archive, "Cannot read the data of \(raw)")
            }
            guard let block else { continue }
            var done = 0
            while done < length {
                let n = pwrite(fd, block + done, length - done, off_t(offset) + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw StoreError.io("Cannot write", raw, errno: errno) }
                done += n
            }
            stats.bytes += Int64(length)
        }
        // Sparse files end in a hole that was never written.
        if size > 0 { ftruncate(fd, off_t(size)) }
    }

    func setXattrs(_ e: OpaquePointer, fd: Int32) {
        guard archive_entry_xattr_reset(e) > 0 else { return }
        var name: UnsafePointer<CChar>? = nil
        var value: UnsafeRawPointer? = nil
        var size = 0
        while archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            _ = fsetxattr(fd, name, value, size, 0)
        }
    }

    /// Sets directory modes and times, deepest first, once their contents are in place.
    func finishDirectories() throws(StoreError) {
        for d in directories.reversed() {
            let fd = try root.openDirectory(d.path, create: false, entry: d.path.description)
            fchmod(fd, d.perm)
            var times = [d.mtime, d.mtime]
            futimens(fd, &times)
            close(fd)
        }
    }
}
