import CArchive
import System

/// Writes a plain tar of files and documents (for `save`): fixed owner, modes and times, so the same images give
/// the same archive.
final class TarArchiveWriter {
    private let archive: OpaquePointer
    private let file: FileDescriptor
    private var directories: Set<String> = []

    init(path: String) throws(EstibaError) {
        _ = ArchiveLocale.ready
        do { file = try FileDescriptor.open(path, [.writeOnly, .create, .truncate], permissions: 0o644) } catch {
            throw EstibaError.io("Cannot create", path, error)
        }
        guard let a = archive_write_new() else { throw EstibaError(.io, "libarchive could not allocate a writer.") }
        archive = a
        archive_write_set_format_pax_restricted(a)
        archive_write_set_bytes_in_last_block(a, 1)
        guard archive_write_open_fd(a, file.rawValue) == ARCHIVE_OK else {
            throw LayerWriter.archiveError(a, "Cannot start the archive \(path)")
        }
    }

    deinit { archive_write_free(archive) }

    private func header(_ name: String, type: UInt32, size: Int64, mode: UInt32) throws(EstibaError) {
        guard let e = archive_entry_new() else { throw EstibaError(.io, "libarchive could not allocate an entry.") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname_utf8(e, name)
        archive_entry_set_filetype(e, type)
        archive_entry_set_perm(e, mode)
        archive_entry_set_size(e, size)
        archive_entry_set_mtime(e, 0, 0)
        guard archive_write_header(archive, e) == ARCHIVE_OK else { throw LayerWriter.archiveError(archive, "Cannot write \(name)") }
    }

    /// Adds the parent directories of `name` that are not in the archive yet.
    private func parents(_ name: String) throws(EstibaError) {
        var prefix = ""
        for part in name.split(separator: "/").dropLast() {
            prefix += part + "/"
            if directories.insert(prefix).inserted { try header(prefix, type: CA_IFDIR, size: 0, mode: 0o755) }
        }
    }

    func add(_ name: String, bytes: [UInt8]) throws(EstibaError) {
        try parents(name)
        try header(name, type: CA_IFREG, size: Int64(bytes.count), mode: 0o644)
        let n = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw LayerWriter.archiveError(archive, "Cannot write \(name)") }
    }

    func add(_ name: String, file path: String) throws(EstibaError) {
        let source = try FileDescriptor.open(path)
        let size = try source.status().size
        try parents(name)
        try header(name, type: CA_IFREG, size: size, mode: 0o644)
        try ArchiveData.copy(from: source, path: path, into: archive)
    }

    func finish() throws(EstibaError) {
        guard archive_write_close(archive) == ARCHIVE_OK else { throw LayerWriter.archiveError(archive, "Cannot finish the archive") }
        try? file.sync()
    }
}
