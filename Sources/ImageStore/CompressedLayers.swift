import CArchive
import EstibaJSON
import System

/// How a layer is compressed for a registry.
public enum LayerCompression: String, Sendable, CaseIterable {
    case gzip, zstd

    /// The OCI media type of a layer compressed this way.
    public var mediaType: String {
        switch self {
        case .gzip: MediaType.layerGzip
        case .zstd: MediaType.layerZstd
        }
    }
}

/// A compressed layer blob as a registry holds it.
public struct CompressedBlob: Sendable, Equatable {
    public var digest: Digest
    public var size: Int64
    public var mediaType: String

    public init(digest: Digest, size: Int64, mediaType: String) {
        self.digest = digest
        self.size = size
        self.mediaType = mediaType
    }
}

/// What pushes remember beside the layers (the store keeps layers uncompressed): each layer's compressed form by
/// diff ID and compression (`layers/<diffID>.<compression>.json`), so a layer is compressed once and a second push
/// only asks the registry whether it has the blob; and which repositories of which registries hold a blob
/// (`layers/<digest>.sources.json`), so a push to another repository of the same registry mounts it instead of
/// uploading it. Both are hints: a registry that lost the blob is simply sent it again.
extension ImageStore {
    /// The compressed form of the layer `diffID` a push made before, if any.
    public nonisolated func compressedLayer(diffID: Digest, compression: LayerCompression) -> CompressedBlob? {
        guard let bytes = try? StoreFile.read(layout.compressedLayerInfo(diffID, compression.rawValue)),
            let doc = try? JSONValue.parse(bytes), let text = doc["digest"]?.stringValue, let digest = Digest(text),
            let size = doc["size"]?.intValue, size > 0
        else { return nil }
        return CompressedBlob(digest: digest, size: Int64(size), mediaType: compression.mediaType)
    }

    /// Remembers the compressed form of a layer (once a registry holds it).
    public nonisolated func rememberCompressed(diffID: Digest, compression: LayerCompression, blob: CompressedBlob) throws(EstibaError) {
        if compressedLayer(diffID: diffID, compression: compression) == blob { return }
        let doc: JSONValue = [
            "diffID": .string(diffID.description), "compression": .string(compression.rawValue),
            "digest": .string(blob.digest.description), "size": .int(blob.size),
        ]
        try layout.write(doc.encoded(), to: layout.compressedLayerInfo(diffID, compression.rawValue))
    }

    /// The repositories known to hold the blob `digest`, by registry host.
    public nonisolated func blobSources(_ digest: Digest) -> [String: [String]] {
        guard let bytes = try? StoreFile.read(layout.blobSources(digest)), let doc = try? JSONValue.parse(bytes),
            let hosts = doc["registries"]?.objectValue
        else { return [:] }
        var out: [String: [String]] = [:]
        for (host, repos) in hosts {
            out[host] = repos.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return out
    }

    /// Remembers that `repository` on the registry `host` holds the blob `digest` (the latest first, at most 8 per
    /// registry).
    public nonisolated func rememberSource(_ digest: Digest, host: String, repository: String) throws(EstibaError) {
        var sources = blobSources(digest)
        var repos = sources[host] ?? []
        if repos.first == repository { return }
        repos.removeAll { $0 == repository }
        repos.insert(repository, at: 0)
        sources[host] = Array(repos.prefix(8))
        var hosts = JSONObject()
        for (h, r) in sources.sorted(by: { $0.key < $1.key }) { hosts.append(h, .array(r.map { .string($0) })) }
        let doc: JSONValue = ["digest": .string(digest.description), "registries": .object(hosts)]
        try layout.write(doc.encoded(), to: layout.blobSources(digest))
    }

    /// Compresses the stored layer `diffID` into a new file in `tmp/` (held by the current lease; the caller
    /// removes it). Returns the file and the blob it holds.
    public nonisolated func compressLayer(diffID: Digest, compression: LayerCompression) async throws(EstibaError) -> (path: String, blob: CompressedBlob) {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let (file, path) = try Files.makeTemporaryFile(in: layout.tmp, prefix: "push-")
        file.close()
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let lease = StoreLease.current
        let source = layout.blob(diffID)
        do throws(EstibaError) {
            try lease?.hold([.scratch(name)])
            guard content.exists(diffID) else {
                throw EstibaError(.notFound, "Layer \(diffID) is missing from the store; run estiba system verify.", context: ["digest": diffID.description])
            }
            let made = try await runOnThread { () throws(EstibaError) -> (digest: Digest, size: Int64) in
                switch compression {
                case .gzip: try LayerCompressor.gzip(source, to: path)
                case .zstd: try LayerCompressor.zstd(source, to: path)
                }
            }
            return (path, CompressedBlob(digest: made.digest, size: made.size, mediaType: compression.mediaType))
        } catch {
            try? Files.remove(path)
            throw error
        }
    }
}

/// Layer compression: gzip with zlib, zstd with libarchive.
enum LayerCompressor {
    /// The zlib level for content that compresses; content that looks random (already compressed, encrypted) is
    /// stored as it is, which is what deflate would end up doing after spending its time trying.
    static let gzipLevel: Int32 = 6
    static let chunk = 1 << 20

    /// gzip of `source` into `target` (no name, no time: the same layer always gives the same blob).
    static func gzip(_ source: String, to target: String) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let input = try FileDescriptor.open(source)
        let output = try FileDescriptor.open(target, [.writeOnly, .truncate], permissions: 0o600)
        var stream = z_stream()
        guard ca_gzip_init(&stream, gzipLevel) == Z_OK else { throw EstibaError(.internal, "zlib could not start a gzip stream.") }
        defer { deflateEnd(&stream) }
        let hasher = SHA256()
        var written: Int64 = 0
        let inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        let outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk + (chunk >> 4) + 64, alignment: 16)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        var level = gzipLevel
        /// Runs deflate with `flush` over the input given, writing what it makes; until it needs more input.
        func run(_ flush: Int32) throws(EstibaError) {
            repeat {
                stream.next_out = outBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(outBuffer.count)
                let rc = deflate(&stream, flush)
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw EstibaError(.internal, "zlib failed compressing \(source) (\(rc)).")
                }
                let made = outBuffer.count - Int(stream.avail_out)
                if made > 0 {
                    let bytes = UnsafeRawBufferPointer(rebasing: outBuffer[0..<made])
                    hasher.update(bytes)
                    try output.writeAll(bytes)
                    written += Int64(made)
                }
                if rc == Z_STREAM_END { return }
            } while stream.avail_out == 0
        }
        while true {
            var filled = 0
            while filled < chunk {
                let n = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: inBuffer[filled..<chunk]))
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { break }
            let want: Int32 = looksRandom(UnsafeRawBufferPointer(rebasing: inBuffer[0..<filled])) ? 0 : gzipLevel
            if want != level {
                try run(Z_BLOCK)
                guard deflateParams(&stream, want, Z_DEFAULT_STRATEGY) == Z_OK else {
                    throw EstibaError(.internal, "zlib could not change the compression level.")
                }
                level = want
            }
            stream.next_in = inBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = UInt32(filled)
            try run(Z_NO_FLUSH)
            if filled < chunk { break }
        }
        stream.next_in = nil
        stream.avail_in = 0
        try run(Z_FINISH)
        // Not synced: a scratch file, read back at once for the upload and removed after it.
        output.close()
        return (hasher.finalize(), written)
    }

    /// Whether the bytes' values are spread as evenly as random bytes' (deflate would store them anyway): the
    /// chi-square of their counts against a uniform spread is under 4 per value (random bytes give about 1).
    /// Four windows of 16 KiB across the chunk are counted.
    static func looksRandom(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4096 else { return false }
        var counts = [Int](repeating: 0, count: 256)
        let window = min(16 << 10, bytes.count / 4)
        var counted = 0
        counts.withUnsafeMutableBufferPointer { c in
            for w in 0..<4 {
                let start = w * (bytes.count / 4)
                for b in UnsafeRawBufferPointer(rebasing: bytes[start..<(start + window)]) { c[Int(b)] += 1 }
                counted += window
            }
        }
        let expected = Double(counted) / 256
        var chiSquare = 0.0
        for n in counts {
            let d = Double(n) - expected
            chiSquare += d * d / expected
        }
        return chiSquare < 4 * 256
    }

    /// zstd (level 3) of `source` into `target`, through libarchive's raw writer.
    static func zstd(_ source: String, to target: String) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let input = try FileDescriptor.open(source)
        let output = try FileDescriptor.open(target, [.writeOnly, .truncate], permissions: 0o600)
        defer { output.close() }
        guard let a = archive_write_new() else { throw EstibaError(.io, "libarchive could not allocate a writer.") }
        defer { archive_write_free(a) }
        guard archive_write_add_filter_zstd(a) == ARCHIVE_OK, archive_write_set_format_raw(a) == ARCHIVE_OK,
            archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK, archive_write_open_fd(a, output.rawValue) == ARCHIVE_OK
        else { throw failure(a, "Cannot start compressing \(source) with zstd") }
        guard let entry = archive_entry_new() else { throw EstibaError(.io, "libarchive could not allocate an entry.") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "layer.tar")
        archive_entry_set_filetype(entry, CA_IFREG)
        archive_entry_set_perm(entry, 0o644)
        guard archive_write_header(a, entry) == ARCHIVE_OK else { throw failure(a, "Cannot compress \(source) with zstd") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try input.read(into: buffer)
            if n == 0 { break }
            guard archive_write_data(a, buffer.baseAddress, n) == n else { throw failure(a, "Cannot compress \(source) with zstd") }
        }
        guard archive_write_close(a) == ARCHIVE_OK else { throw failure(a, "Cannot compress \(source) with zstd") }
        // Hashed from the file: libarchive wrote it through its own descriptor.
        let hasher = SHA256()
        var size: Int64 = 0
        var reader = ChunkReader(try FileDescriptor.open(target))
        while let bytes = try reader.next() {
            hasher.update(bytes)
            size += Int64(bytes.count)
        }
        return (hasher.finalize(), size)
    }

    static func failure(_ a: OpaquePointer, _ what: String) -> EstibaError {
        let reason = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return EstibaError(.io, "\(what): \(reason).")
    }
}
