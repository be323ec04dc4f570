import CArchive
import EstibaJSON
import System

/// Facts about a layer kept beside its blob: the content size Docker reports for it.
struct LayerInfo {
    let layout: StoreLayout

    func record(_ diffID: Digest, contentSize: Int64) throws(EstibaError) {
        let path = layout.layerInfo(diffID)
        if Files.exists(path) { return }
        let doc: JSONValue = ["diffID": .string(diffID.description), "contentSize": .int(contentSize)]
        try layout.write(doc.encoded(), to: path)
    }

    func contentSize(_ diffID: Digest) -> Int64? {
        guard let bytes = try? StoreFile.read(layout.layerInfo(diffID)), let v = try? JSONValue.parse(bytes) else { return nil }
        return v["contentSize"]?.intValue
    }

    /// Sums the sizes of regular files in a layer tar without extracting it (hard links counted once).
    static func scanContentSize(_ path: String) throws(EstibaError) -> Int64 {
        _ = ArchiveLocale.ready
        guard let a = archive_read_new() else { throw EstibaError(.io, "libarchive could not allocate a reader.") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK else {
            throw LayerExtractor.readError(a, "Cannot read layer \(path)")
        }
        var total: Int64 = 0
        var entry: OpaquePointer? = nil
        while true {
            let rc = archive_read_next_header(a, &entry)
            if rc == ARCHIVE_EOF { break }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let e = entry else {
                throw LayerExtractor.readError(a, "Layer \(path) is not a valid tar archive")
            }
            if archive_entry_hardlink(e) == nil, archive_entry_filetype(e) & CA_IFMT == CA_IFREG {
                total += archive_entry_size(e)
            }
        }
        return total
    }
}
