import CArchive
import System

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

    public init(whiteouts: Whiteouts = .overlay, allowDevices: Bool = true, preserveOwnership: Bool = Processes.effectiveUserID == 0) {
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
        throws(EstibaError) -> ExtractStats
    {
        let file = try FileDescriptor.open(path)
        defer { file.close() }
        return try extract(fd: file.rawValue, name: path, into: directory, options: options)
    }

    public static func extract(fd: Int32, name: String, into directory: String, options: ExtractOptions = ExtractOptions())
        throws(EstibaError) -> ExtractStats
    {
        _ = ArchiveLocale.ready
        let root = try RootedDirectory.refusingLinks(directory)
        guard let a = archive_read_new() else { throw EstibaError(.io, "libarchive could not allocate a reader.") }
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

    static func readError(_ a: OpaquePointer, _ what: String) -> EstibaError {
        let detail = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return EstibaError(.badInput, "\(what): \(detail).")
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
    var directories: [(path: EntryPath, permissions: UInt32, modified: FileTime)] = []

    init(root: RootedDirectory, archive: OpaquePointer, options: ExtractOptions) {
        self.root = root
        self.archive = archive
        self.options = options
    }

    mutating func apply(_ e: OpaquePointer) throws(EstibaError) {
        stats.entries += 1
        // UTF-8 accessors: the process locale is "C", where libarchive's default conversion fails on non-ASCII.
        guard let rawPointer = archive_entry_pathname_utf8(e) ?? archive_entry_pathname(e) else {
            throw EstibaError(.badInput, "Archive entry \(stats.entries) has no name.")
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
        let owner: (userID: UInt32, groupID: UInt32)? = options.preserveOwnership
            ? (userID: UInt32(truncatingIfNeeded: archive_entry_uid(e)), groupID: UInt32(truncatingIfNeeded: archive_entry_gid(e))) : nil
        let permissions = UInt32(archive_entry_perm(e))
        let modified = FileTime(seconds: Int64(archive_entry_mtime(e)), nanoseconds: Int64(archive_entry_mtime_nsec(e)))
        written.insert(path.description)

        if let link = archive_entry_hardlink_utf8(e) ?? archive_entry_hardlink(e) {
            try hardlink(path, raw: raw, parent: parent, target: String(cString: link))
            return
        }
        let type = archive_entry_filetype(e) & CA_IFMT
        switch type {
        case CA_IFDIR:
            if (try? parent.status(of: name))?.kind == .directory {
                // Directory over directory: keep its contents, take the new attributes.
            } else {
                try Self.remove(name, in: parent)
                try Self.io("Cannot create directory", raw) { () throws(EstibaError) in try parent.makeDirectory(name, permissions: 0o700) }
            }
            let directory = try Self.io("Cannot open directory", raw) { () throws(EstibaError) in
                try parent.open(name, [.directory, .noFollow])
            }
            if let owner { try? directory.setOwner(userID: owner.userID, groupID: owner.groupID) }
            setXattrs(e, on: directory)
            directories.append((path, permissions, modified))
        case CA_IFREG:
            try Self.remove(name, in: parent)
            let file = try Self.io("Cannot create", raw) { () throws(EstibaError) in
                try parent.open(name, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600)
            }
            try copyData(to: file, raw: raw, size: archive_entry_size(e))
            if let owner { try? file.setOwner(userID: owner.userID, groupID: owner.groupID) }
            try? file.setPermissions(permissions)
            setXattrs(e, on: file)
            try? file.setTimes(accessed: modified, modified: modified)
        case CA_IFLNK:
            guard let target = archive_entry_symlink_utf8(e) ?? archive_entry_symlink(e) else { throw EstibaError(.badInput, "Symbolic link \(raw) has no target.") }
            try Self.remove(name, in: parent)
            try Self.io("Cannot create symbolic link", raw) { () throws(EstibaError) in
                try parent.makeSymbolicLink(name, to: String(cString: target))
            }
            finishNode(name, in: parent, owner: owner, permissions: nil, modified: modified)
        case CA_IFCHR, CA_IFBLK, CA_IFIFO:
            if type != CA_IFIFO, !options.allowDevices {
                throw EstibaError.unsafe(raw, "device nodes are not allowed in this extraction")
            }
            try Self.remove(name, in: parent)
            let kind: FileKind = type == CA_IFCHR ? .characterDevice : type == CA_IFBLK ? .blockDevice : .fifo
            var device: UInt64 = 0
            if type != CA_IFIFO {
                // A pax header may give any number; the kernel takes 32-bit major and minor numbers.
                guard let major = UInt32(exactly: archive_entry_rdevmajor(e)), let minor = UInt32(exactly: archive_entry_rdevminor(e)) else {
                    throw EstibaError.unsafe(raw, "its device number is out of range")
                }
                device = FileStatus.deviceNumber(major: major, minor: minor)
            }
            try Self.io("Cannot create special file", raw) { () throws(EstibaError) in
                try parent.makeNode(name, kind: kind, permissions: permissions, device: device)
            }
            finishNode(name, in: parent, owner: owner, permissions: permissions, modified: modified)
        default:
            break  // sockets and unknown types are not part of images
        }
    }

    /// Owner, permissions (not for a symbolic link) and times of a new entry that is not opened, best effort.
    func finishNode(_ name: String, in parent: FileDescriptor, owner: (userID: UInt32, groupID: UInt32)?, permissions: UInt32?, modified: FileTime) {
        if let owner { try? parent.setOwner(of: name, userID: owner.userID, groupID: owner.groupID) }
        if let permissions { try? parent.setPermissions(of: name, permissions) }
        try? parent.setTimes(of: name, accessed: modified, modified: modified)
    }

    mutating func whiteout(_ path: EntryPath, raw: String) throws(EstibaError) {
        let parent = try root.openDirectory(path.parent, create: true, entry: raw)
        if path.name == ".wh..wh..opq" {
            switch options.whiteouts {
            case .overlay:
                try Self.io("Cannot mark directory opaque for", raw) { () throws(EstibaError) in
                    try parent.setExtendedAttribute(Overlay.opaqueAttribute, Overlay.opaqueValue)
                }
            case .apply:
                try pruneUnwritten(parent, path.parent)
            }
            return
        }
        let hidden = String(path.name.dropFirst(4))
        if hidden.isEmpty || hidden == "." || hidden == ".." {
            throw EstibaError.unsafe(raw, "a whiteout must name the file it deletes")
        }
        try Self.remove(hidden, in: parent)
        if options.whiteouts == .overlay {
            try Self.io("Cannot create whiteout for", raw) { () throws(EstibaError) in
                try parent.makeNode(hidden, kind: .characterDevice, permissions: 0, device: 0)
            }
        }
    }

    /// Removes what is in `directory` but was not written by this layer (recursively into directories it did write).
    func pruneUnwritten(_ directory: FileDescriptor, _ dir: EntryPath) throws(EstibaError) {
        for child in try directory.names() {
            let childPath = dir.appending(child)
            if written.contains(childPath.description) {
                guard (try? directory.status(of: child))?.kind == .directory,
                    let sub = try? directory.open(child, [.directory, .noFollow])
                else { continue }
                try pruneUnwritten(sub, childPath)
            } else {
                try Self.remove(child, in: directory)
            }
        }
    }

    func hardlink(_ path: EntryPath, raw: String, parent: FileDescriptor, target rawTarget: String) throws(EstibaError) {
        let target: EntryPath
        do {
            target = try EntryPath(rawTarget)
        } catch {
            throw EstibaError.unsafe(raw, "its hard link target \"\(rawTarget)\" is outside the extraction root")
        }
        if target.isRoot { throw EstibaError.unsafe(raw, "a hard link cannot point at the root directory") }
        let targetParent: FileDescriptor
        do {
            targetParent = try root.openDirectory(target.parent, create: false, entry: raw)
        } catch {
            if error.code == .notFound { throw EstibaError.unsafe(raw, "its hard link target \"\(rawTarget)\" is not in the archive") }
            throw error
        }
        guard let status = try? targetParent.status(of: target.name) else {
            throw EstibaError.unsafe(raw, "its hard link target \"\(rawTarget)\" is not in the archive")
        }
        if status.kind == .directory { throw EstibaError.unsafe(raw, "a hard link cannot point at a directory") }
        try Self.remove(path.name, in: parent)
        // A link to a symbolic link links the symlink itself, never what it points to.
        try Self.io("Cannot create hard link", raw) { () throws(EstibaError) in
            try parent.makeHardLink(path.name, to: target.name, in: targetParent)
        }
    }

    mutating func copyData(to file: FileDescriptor, raw: String, size: Int64) throws(EstibaError) {
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
            let at = offset
            try Self.io("Cannot write", raw) { () throws(EstibaError) in
                try file.writeAll(UnsafeRawBufferPointer(start: block, count: length), at: at)
            }
            stats.bytes += Int64(length)
        }
        // Sparse files end in a hole that was never written.
        if size > 0 { try? file.truncate(to: size) }
    }

    func setXattrs(_ e: OpaquePointer, on file: FileDescriptor) {
        guard archive_entry_xattr_reset(e) > 0 else { return }
        var name: UnsafePointer<CChar>? = nil
        var value: UnsafeRawPointer? = nil
        var size = 0
        while archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            try? file.setExtendedAttribute(String(cString: name), bytes)
        }
    }

    /// Sets directory modes and times, deepest first, once their contents are in place.
    func finishDirectories() throws(EstibaError) {
        for d in directories.reversed() {
            let directory = try root.openDirectory(d.path, create: false, entry: d.path.description)
            try? directory.setPermissions(d.permissions)
            try? directory.setTimes(accessed: d.modified, modified: d.modified)
        }
    }

    /// Removes `name` in `directory` and, for a directory, everything below it (a missing name is fine).
    static func remove(_ name: String, in directory: FileDescriptor) throws(EstibaError) {
        try directory.removeTree(name)
    }

    /// Runs `body`; a failed system call becomes an I/O error saying `what` of archive entry `entry`.
    static func io<T>(_ what: String, _ entry: String, _ body: () throws(EstibaError) -> T) throws(EstibaError) -> T {
        do { return try body() } catch { throw EstibaError.io(what, entry, error) }
    }
}
