import CArchive
import System

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
    public static func write(directory: String, to outputFD: Int32, overlayUpper: Bool = false) throws(EstibaError)
        -> LayerTar
    {
        try write(directory: directory, to: FileDescriptor(borrowing: outputFD, path: "descriptor \(outputFD)"), overlayUpper: overlayUpper)
    }

    /// `write` to an open file.
    static func write(directory: String, to output: FileDescriptor, overlayUpper: Bool = false) throws(EstibaError) -> LayerTar {
        _ = ArchiveLocale.ready
        let root = try RootedDirectory.refusingLinks(directory)
        let sink = TarSink(output)
        guard let a = archive_write_new() else { throw EstibaError(.io, "libarchive could not allocate a writer.") }
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
            throw EstibaError(.io, "libarchive could not allocate a link resolver.")
        }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, archive_format(a))
        var walker = TreeWalker(archive: a, resolver: resolver, overlayUpper: overlayUpper)
        do { try walker.walk(root.descriptor, prefix: "") } catch {
            // libarchive knows only that its write callback failed; the sink knows why (a full disk…).
            if let failure = sink.failure { throw EstibaError.io("Cannot write the layer tar to", output.path ?? "", failure) }
            throw error
        }
        let contentSize = walker.contentSize
        guard archive_write_close(a) == ARCHIVE_OK else {
            if let failure = sink.failure { throw EstibaError.io("Cannot write the layer tar to", output.path ?? "", failure) }
            throw archiveError(a, "Cannot finish the layer tar")
        }
        return LayerTar(diffID: sink.hasher.finalize(), size: sink.bytes, contentSize: contentSize)
    }

    /// Modification times are kept to the second, rounded like Go's archive/tar does for Docker's layers.
    static func seconds(_ t: FileTime) -> Int {
        Int(truncatingIfNeeded: t.nanoseconds >= 500_000_000 ? t.seconds + 1 : t.seconds)
    }

    static func archiveError(_ a: OpaquePointer, _ what: String) -> EstibaError {
        let detail = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return EstibaError(.io, "\(what): \(detail).")
    }
}

/// Receives libarchive's output: writes it to a descriptor and hashes it.
final class TarSink {
    let output: FileDescriptor
    let hasher = SHA256()
    var bytes: Int64 = 0
    var failure: EstibaError?

    init(_ output: FileDescriptor) { self.output = output }

    func write(_ buffer: UnsafeRawPointer, _ length: Int) -> Int {
        let chunk = UnsafeRawBufferPointer(start: buffer, count: length)
        hasher.update(chunk)
        do { try output.writeAll(chunk) } catch {
            failure = error
            return -1
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

    /// `depth`: how many directories deep `directory` is; past `FileTree.maxDepth` the walk stops with an error.
    mutating func walk(_ directory: FileDescriptor, prefix: String, depth: Int = 0) throws(EstibaError) {
        for name in try directory.names() {
            let path = prefix + name
            guard let status = try? directory.status(of: name) else { continue }
            if status.kind == .socket { continue }
            if overlayUpper, status.kind == .characterDevice, status.specialDevice == 0 {
                try writeMarker(path: prefix + ".wh." + name, like: status, mode: 0o600)
                continue
            }
            var xattrs = (try? directory.extendedAttributes(of: name)) ?? []
            let opaque = overlayUpper && status.kind == .directory
                && xattrs.contains { $0.name == Overlay.opaqueAttribute && $0.value == Overlay.opaqueValue }
            if overlayUpper { xattrs.removeAll { $0.name.hasPrefix("trusted.overlay.") } }
            xattrs.removeAll { $0.name == "security.selinux" }
            if status.kind == .directory, depth >= FileTree.maxDepth {
                throw EstibaError.unsafe(String(path.prefix(120)) + "…", "it is nested more than \(FileTree.maxDepth) directories deep")
            }
            try writeEntry(directory, name, path: path, status, xattrs)
            if status.kind == .directory {
                if opaque { try writeMarker(path: path + "/.wh..wh..opq", like: status, mode: status.permissions) }
                let sub = try directory.open(name, [.directory, .noFollow])
                try walk(sub, prefix: path + "/", depth: depth + 1)
            }
        }
    }

    /// An empty regular file entry (whiteout or opaque marker).
    func writeMarker(path: String, like status: FileStatus, mode: UInt32) throws(EstibaError) {
        guard let e = archive_entry_new() else { throw EstibaError(.io, "libarchive could not allocate an entry.") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname_utf8(e, path)
        archive_entry_set_filetype(e, CA_IFREG)
        archive_entry_set_perm(e, mode)
        archive_entry_set_uid(e, 0)
        archive_entry_set_gid(e, 0)
        archive_entry_set_mtime(e, LayerWriter.seconds(status.modified), 0)
        archive_entry_set_size(e, 0)
        guard archive_write_header(archive, e) == ARCHIVE_OK else {
            throw LayerWriter.archiveError(archive, "Cannot write entry \(path)")
        }
    }

    mutating func writeEntry(
        _ directory: FileDescriptor, _ name: String, path: String, _ status: FileStatus, _ xattrs: [(name: String, value: [UInt8])]
    ) throws(EstibaError) {
        guard let e = archive_entry_new() else { throw EstibaError(.io, "libarchive could not allocate an entry.") }
        archive_entry_set_pathname_utf8(e, path)
        archive_entry_set_mode(e, status.mode)
        archive_entry_set_uid(e, Int64(status.userID))
        archive_entry_set_gid(e, Int64(status.groupID))
        archive_entry_set_mtime(e, LayerWriter.seconds(status.modified), 0)
        archive_entry_set_dev(e, UInt(truncatingIfNeeded: status.device))
        archive_entry_set_ino64(e, Int64(truncatingIfNeeded: status.inode))
        archive_entry_set_nlink(e, UInt32(truncatingIfNeeded: status.linkCount))
        switch status.kind {
        case .regular: archive_entry_set_size(e, status.size)
        case .symbolicLink:
            let target: String
            do { target = try directory.readLink(name) } catch {
                archive_entry_free(e)
                throw EstibaError.io("Cannot read symbolic link", path, error)
            }
            archive_entry_set_symlink_utf8(e, target)
            archive_entry_set_size(e, 0)
        case .characterDevice, .blockDevice:
            archive_entry_set_rdevmajor(e, UInt(status.deviceMajor))
            archive_entry_set_rdevminor(e, UInt(status.deviceMinor))
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
        if status.kind == .regular, archive_entry_hardlink(entry) == nil, status.size > 0 {
            try copyData(directory, name, path: path)
            contentSize += status.size
        }
    }

    func copyData(_ directory: FileDescriptor, _ name: String, path: String) throws(EstibaError) {
        let file = try directory.open(name, .noFollow)
        try ArchiveData.copy(from: file, path: path, into: archive)
    }
}

/// File data into an archive entry.
enum ArchiveData {
    static func copy(from file: FileDescriptor, path: String, into archive: OpaquePointer) throws(EstibaError) {
        var reader = ChunkReader(file)
        while true {
            let next: UnsafeRawBufferPointer?
            do { next = try reader.next() } catch { throw EstibaError.io("Cannot read", path, error) }
            guard let chunk = next else { return }
            guard archive_write_data(archive, chunk.baseAddress, chunk.count) == chunk.count else {
                throw LayerWriter.archiveError(archive, "Cannot write data of \(path)")
            }
        }
    }
}
