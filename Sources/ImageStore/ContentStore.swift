import System

/// Blobs by digest under `oci/blobs/sha256`. Written once, atomically; never modified.
struct ContentStore {
    let layout: StoreLayout

    func exists(_ d: Digest) -> Bool { Files.exists(layout.blob(d)) }

    func size(_ d: Digest) -> Int64? { try? Files.status(layout.blob(d)).size }

    /// Stores small documents (configs, manifests).
    @discardableResult
    func put(_ bytes: [UInt8]) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let d = Digest.of(bytes)
        if !exists(d) { try layout.write(bytes, to: layout.blob(d)) }
        return (d, Int64(bytes.count))
    }

    func read(_ d: Digest, limit: Int = 64 << 20) throws(EstibaError) -> [UInt8] {
        do {
            return try StoreFile.read(layout.blob(d), limit: limit)
        } catch {
            if error.code == .notFound {
                throw EstibaError(.notFound, "Blob \(d) is missing from the store; run verify.", context: ["digest": d.description])
            }
            throw error
        }
    }

    /// Writes the layer of `directory` into the store; returns its digest (= diff ID, layers are uncompressed).
    func putLayer(from directory: String, overlayUpper: Bool = false) throws(EstibaError) -> LayerTar {
        let staged = try layout.stagedFile()
        let layer = try LayerWriter.write(directory: directory, to: staged.descriptor, overlayUpper: overlayUpper)
        try place(staged, as: layer.diffID)
        return layer
    }

    /// Copies a blob from a file, checking its digest; returns it.
    func putFile(_ path: String, expected: Digest? = nil) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let source = try FileDescriptor.open(path)
        let staged = try layout.stagedFile()
        let hasher = SHA256()
        var size: Int64 = 0
        var reader = ChunkReader(source)
        while let chunk = try reader.next() {
            hasher.update(chunk)
            try staged.descriptor.writeAll(chunk)
            size += Int64(chunk.count)
        }
        let d = hasher.finalize()
        if let expected, expected != d {
            throw EstibaError(.badInput, "\(path) has digest \(d), not the expected \(expected).", context: ["path": path])
        }
        try place(staged, as: d)
        return (d, size)
    }

    /// Moves a file that is already in the store's `tmp/` into place after checking its digest (no copy).
    func adopt(_ path: String, expected: Digest) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let staged = try StagedFile(adopting: path)
        return try adopt(staged, expected: expected)
    }

    /// `adopt` for a file staged by this process.
    func adopt(_ staged: StagedFile, expected: Digest) throws(EstibaError) -> (digest: Digest, size: Int64) {
        let hasher = SHA256()
        var size: Int64 = 0
        var reader = ChunkReader(try FileDescriptor.open(staged.path))
        while let chunk = try reader.next() {
            hasher.update(chunk)
            size += Int64(chunk.count)
        }
        let d = hasher.finalize()
        guard d == expected else {
            throw EstibaError(.badInput, "\(staged.path) has digest \(d), not the expected \(expected).", context: ["path": staged.path])
        }
        try place(staged, as: d)
        return (d, size)
    }

    /// Puts a staged file in place as blob `d`, or drops it when the store has that blob already.
    private func place(_ staged: StagedFile, as d: Digest) throws(EstibaError) {
        if exists(d) {
            staged.discard()
            return
        }
        try staged.commit(to: layout.blob(d))
    }

    func delete(_ d: Digest) { try? Files.remove(layout.blob(d)) }

    /// All blob digests present.
    func all() -> [Digest] { StoreFile.names(in: layout.blobs).compactMap { Digest(hex: $0) } }
}
