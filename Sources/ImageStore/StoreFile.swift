import System

/// Whole-file reads of the store's documents (index, configs, manifests, records).
enum StoreFile {
    /// The whole file; a missing file is `notFound`, one over `limit` bytes is refused as corrupt.
    static func read(_ path: String, limit: Int = 64 << 20) throws(EstibaError) -> [UInt8] {
        let file: FileDescriptor
        do { file = try FileDescriptor.open(path) } catch {
            if error.isNotFound { throw EstibaError(.notFound, "\(path) does not exist.", context: ["path": path]) }
            throw error
        }
        // One byte more than allowed tells a file that is too long.
        let bytes = try file.readAll(upTo: limit < Int.max ? limit + 1 : limit)
        guard bytes.count <= limit else {
            let size = (try? file.status().size).map(String.init) ?? "over \(limit)"
            throw EstibaError(.badInput, "\(path) is \(size) bytes, more than the \(limit) expected.", context: ["path": path])
        }
        return bytes
    }

    /// Hashes the file at `path` with SHA-256.
    static func digest(_ path: String) throws(EstibaError) -> Digest {
        let hasher = SHA256()
        var reader = ChunkReader(try FileDescriptor.open(path))
        while let chunk = try reader.next() { hasher.update(chunk) }
        return hasher.finalize()
    }

    /// The names in the directory at `path`, sorted; none when it cannot be listed.
    static func names(in path: String) -> [String] { (try? FileDescriptor.open(path, .directory).names()) ?? [] }
}
