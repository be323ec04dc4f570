import CArchive
import CSys
import Glibc

/// The result of writing a layer tar.
public struct LayerTar: Sendable, Equatable {
    /// sha256 of the uncompressed tar.
    public var diffID: Digest
    /// Bytes of the tar.
    public var size: Int64
    /// Bytes of file content in the layer (hard-linked files counted once): the size Docker reports.
    public var contentSize: Int64 = 0
}

/// Writes a directory tree as an OCI layer tar: sorted walk, PAX headers with `SCHILY.xattr` records, no
/// atime/ctime or user names, mtimes rounded to the second — the same tree gives the same bytes on any machine.
public enum LayerWriter {
    /// Writes the tree under `directory` to `outputFD`, hashing as it goes. With `overlayUpper`, the tree is an
    /// overlayfs upper directory: whiteout devices (char 0/0) become `.wh.<name>` entries and opaque
    /// directories get a `.wh..wh..opq` entry.
    public static func write(directory: String, to outputFD: Int32, overlayUpper: Bool = false) throws(StoreError)
        -> LayerTar
    {
        _ = ArchiveLocale.ready
        let root = try RootedDirectory(path: directory)
        let sink = TarSink(fd: outputFD)
        guard let a = archive_write_new() else { throw StoreError(.io, "libarchive could not allocate a writer.") }
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        archive_write_set_options(a, "xattrheader=SCHILY")
        // End with the two zero blocks only (no padding to 10 KiB): an empty layer is Docker's 1024 zero bytes.
        archive_write_set_bytes_in_last_block(a, 1)
        let opened = archive_write_open(
            a, Unmanaged.passUnretained(sink).toOpaque(), nil,
            { _, context, buffer, length in
                guard let context, let buffer else { return -1 }
                return Unmanaged<TarSink>.fromOpaque(context).takeUnretainedValue().write(buffer, length)
            }, nil)
        guard opened == ARCHIVE_OK else { throw archiveError(a, "Cannot start the layer tar") }
        guard let resolver = archive_entry_linkresolver_new() else {
            throw StoreError(.io, "libarchive could not allocate a link resolver.")
        }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, archive_format(a))
        var walker = TreeWalker(archive: a, resolver: resolver, overlayUpper: overlayUpper)
        try walker.walk(root.fd, prefix: "")
        let contentSize = walker.contentSize
        guard archive_write_close(a) == ARCHIVE_OK else {
            if sink.failedErrno != 0 { throw StoreError.io("Cannot write the layer tar to", "descriptor \(outputFD)", errno: sink.failedErrno) }
            throw archiveError(a, "Cannot finish the layer tar")
        }
        return LayerTar(diffID: sink.hasher.finalize(), size: sink.bytes, contentSize: contentSize)
    }

    /// Modification times are kept to the second, rounded like Go's archive/tar does for Docker's layers.
    static func seconds(_ t: timespec) -> Int {
        t.tv_nsec >= 500_000_000 ? t.tv_sec + 1 : t.tv_sec
    }

    static func archiveError(_ a: OpaquePointer, _ what: String) -> StoreError {
        let detail = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return StoreError(.io, "\(what): \(detail).")
    }
}

/// Receives libarchive's output: writes it to a descriptor and hashes it.
final class TarSink {
    let fd: Int32
    let hasher = SHA256()
    var bytes: Int64 = 0
    var failedErrno: Int32 = 0

    init(fd: Int32) { self.fd = fd }

    func write(_ buffer: UnsafeRawPointer, _ length: Int) -> Int {
        let chunk = UnsafeRawBufferPointer(start: buffer, count: length)
        hasher.update(chunk)
        var off = 0
        while off < length {
            let n = Glibc.write(fd, buffer + off, length - off)
            if n < 0 {
                if errno == EINTR { continue }
                failedErrno = errno
                return -1
            }
            off += n
        }
        bytes += Int64(length)
        return length
    }
}

/// Walks a tree in sorted order and writes an entry per file.
struct TreeWalker {
    let archive: OpaquePointer
    let resolver: OpaquePointer
    let overlayUpper: Bool
    var contentSize: Int64 = 0

    init(archive: OpaquePointer, resolver: OpaquePointer, overlayUpper: Bool) {
        self.archive = archive
        self.resolver = resolver
        self.overlayUpper = overlayUpper
    }

    /// `depth`: how many directories deep `dirfd` is; past `FileTree.maxDepth` the walk stops with an error.
    mutating func walk(_ dirfd: Int32, prefix: String, depth: Int = 0) throws(StoreError) {
        for name in RootedDirectory.listNames(dirfd) {
            let path = prefix + name
            guard let st = RootedDirectory.lstatAt(dirfd, name) else { continue }
            let type = st.st_mode & S_IFMT
            if type == S_IFSOCK { continue }
            if overlayUpper, type == S_IFCHR, st.st_rdev == 0 {
                try writeMarker(path: prefix + ".wh." + name, like: st, mode: 0o600)
                continue
            }
            var xattrs = Xattrs.read(dirfd, name)
            let opaque = overlayUpper && type == S_IFDIR
                && xattrs.contains { $0.0 == Xattrs.overlayOpaque && $0.1 == Array("y".utf8) }
            if overlayUpper { xattrs.removeAll { $0.0.hasPrefix("trusted.overlay.") } }
            xattrs.removeAll { $0.0 == "security.selinux" }
            if type == S_IFDIR, depth >= FileTree.maxDepth {
                throw StoreError.unsafe(String(path.prefix(120)) + "…", "it is nested more than \(FileTree.maxDepth) directories deep")
            }
            try writeEntry(dirfd, name, path: path, st, xattrs)
            if type == S_IFDIR {
                if opaque { try writeMarker(path: path + "/.wh..wh..opq", like: st, mode: st.st_mode & 0o7777) }
                let sub = csys_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
                guard sub >= 0 else { throw StoreError.io("Cannot open directory", path, errno: errno) }
                defer { close(sub) }
                try walk(sub, prefix: path + "/", depth: depth + 1)
            }
        }
    }

    /// An empty regular file entry (whiteout or opaque marker).
    func writeMarker(path: String, like st: stat, mode: mode_t) throws(StoreError) {
        guard let e = archive_entry_new() else { throw StoreError(.io, "libarchive could not allocate an entry.") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname_utf8(e, path)
        archive_entry_set_filetype(e, CA_IFREG)
        archive_entry_set_perm(e, mode)
        archive_entry_set_uid(e, 0)
        archive_entry_set_gid(e, 0)
        archive_entry_set_mtime(e, LayerWriter.seconds(st.st_mtim), 0)
        archive_entry_set_size(e, 0)
        guard archive_write_header(archive, e) == ARCHIVE_OK else {
            throw LayerWriter.archiveError(archive, "Cannot write entry \(path)")
        }
    }

    mutating func writeEntry(_ dirfd: Int32, _ name: String, path: String, _ st: stat, _ xattrs: [(String, [UInt8])])
        throws(StoreError)
    {
        guard let e = archive_entry_new() else { throw StoreError(.io, "libarchive could not allocate an entry.") }
        let type = st.st_mode & S_IFMT
        archive_entry_set_pathname_utf8(e, path)
        archive_entry_set_mode(e, st.st_mode)
        archive_entry_set_uid(e, Int64(st.st_uid))
        archive_entry_set_gid(e, Int64(st.st_gid))
        archive_entry_set_mtime(e, LayerWriter.seconds(st.st_mtim), 0)
        archive_entry_set_dev(e, st.st_dev)
        archive_entry_set_ino64(e, Int64(st.st_ino))
        archive_entry_set_nlink(e, UInt32(st.st_nlink))
        switch type {
        case S_IFREG: archive_entry_set_size(e, Int64(st.st_size))
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(dirfd, name, &target, Int(PATH_MAX))
            guard n >= 0 else {
                archive_entry_free(e)
                throw StoreError.io("Cannot read symbolic link", path, errno: errno)
            }
            target[n] = 0
            archive_entry_set_symlink_utf8(e, target)
            archive_entry_set_size(e, 0)
        case S_IFCHR, S_IFBLK:
            archive_entry_set_rdevmajor(e, UInt(csys_major(st.st_rdev)))
            archive_entry_set_rdevminor(e, UInt(csys_minor(st.st_rdev)))
            archive_entry_set_size(e, 0)
        default: archive_entry_set_size(e, 0)
        }
        for (key, value) in xattrs {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(e, key, $0.baseAddress, $0.count) }
        }
        // For tar formats the resolver turns a second name of a hard-linked file into a link entry in place
        // (it never defers entries), so `e` stays ours to free.
        var spare: OpaquePointer? = nil
        var linked: OpaquePointer? = e
        archive_entry_linkify(resolver, &linked, &spare)
        defer {
            archive_entry_free(e)
            if let spare { archive_entry_free(spare) }
        }
        guard let entry = linked else { return }
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw LayerWriter.archiveError(archive, "Cannot write entry \(path)")
        }
        // A second name of a hard-linked file is written as a link, without data.
        if type == S_IFREG, archive_entry_hardlink(entry) == nil, st.st_size > 0 {
            try copyData(dirfd, name, path: path)
            contentSize += Int64(st.st_size)
        }
    }

    func copyData(_ dirfd: Int32, _ name: String, path: String) throws(StoreError) {
        let fd = csys_openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0)
        guard fd >= 0 else { throw StoreError.io("Cannot open", path, errno: errno) }
        defer { close(fd) }
        try ArchiveData.copy(from: fd, path: path, into: archive)
    }
}

/// File data into an archive entry.
enum ArchiveData {
    static func copy(from fd: Int32, path: String, into archive: OpaquePointer) throws(StoreError) {
        try FileSystem.forEachChunk(fd, path: path) { chunk throws(StoreError) in
            guard archive_write_data(archive, chunk.baseAddress, chunk.count) == chunk.count else {
                throw LayerWriter.archiveError(archive, "Cannot write data of \(path)")
            }
        }
    }
}
