import Glibc

/// Blobs by digest under `oci/blobs/sha256`. Written once, atomically; never modified.
struct ContentStore {
    let layout: StoreLayout

    func exists(_ d: Digest) -> Bool { FileSystem.exists(layout.blob(d)) }

    func size(_ d: Digest) -> Int64? {
        var st = stat()
        return stat(layout.blob(d), &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Stores small documents (configs, manifests).
    @discardableResult
    func put(_ bytes: [UInt8]) throws(StoreError) -> (digest: Digest, size: Int64) {
        let d = Digest.of(bytes)
        if !exists(d) { try FileSystem.atomicWrite(bytes, to: layout.blob(d), tmpDir: layout.tmp) }
        return (d, Int64(bytes.count))
    }

    func read(_ d: Digest, limit: Int = 64 << 20) throws(StoreError) -> [UInt8] {
        do {
            return try FileSystem.read(layout.blob(d), limit: limit)
        } catch {
            if error.code == .notFound {
                throw StoreError(.notFound, "Blob \(d) is missing from the store; run verify.", context: ["digest": d.description])
            }
            throw error
        }
    }

    /// Writes the layer of `directory` into the store; returns its digest (= diff ID, layers are uncompressed).
    func putLayer(from directory: String, overlayUpper: Bool = false) throws(StoreError) -> LayerTar {
        let tmp = try FileSystem.temporaryFile(in: layout.tmp)
        defer { close(tmp.fd) }
        let layer: LayerTar
        do {
            layer = try LayerWriter.write(directory: directory, to: tmp.fd, overlayUpper: overlayUpper)
        } catch {
            unlink(tmp.path)
            throw error
        }
        if exists(layer.diffID) {
            unlink(tmp.path)
        } else {
            try FileSystem.commit(tmp, to: layout.blob(layer.diffID))
        }
        return layer
    }

    /// Copies a blob from a file, checking its digest; returns it.
    func putFile(_ path: String, expected: Digest? = nil) throws(StoreError) -> (digest: Digest, size: Int64) {
        let src = open(path, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw StoreError.io("Cannot open", path, errno: errno) }
        defer { close(src) }
        let tmp = try FileSystem.temporaryFile(in: layout.tmp)
        defer { close(tmp.fd) }
        let hasher = SHA256()
        var size: Int64 = 0
        do throws(StoreError) {
            try FileSystem.forEachChunk(src, path: path) { chunk throws(StoreError) in
                hasher.update(chunk)
                try FileSystem.writeAll(tmp.fd, chunk, path: tmp.path)
                size += Int64(chunk.count)
            }
        } catch {
            unlink(tmp.path)
            throw error
        }
        let d = hasher.finalize()
        if let expected, expected != d {
            unlink(tmp.path)
            throw StoreError(.corrupt, "\(path) has digest \(d), not the expected \(expected).", context: ["path": path])
        }
        if exists(d) { unlink(tmp.path) } else { try FileSystem.commit(tmp, to: layout.blob(d)) }
        return (d, size)
    }

    /// Moves a file that is already in the store's `tmp/` into place after checking its digest (no copy).
    func adopt(_ path: String, expected: Digest) throws(StoreError) -> (digest: Digest, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("Cannot open", path, errno: errno) }
        let hasher = SHA256()
        var size: Int64 = 0
        do throws(StoreError) {
            try FileSystem.forEachChunk(fd, path: path) { chunk in
                hasher.update(chunk)
                size += Int64(chunk.count)
            }
        } catch {
            close(fd)
            throw error
        }
        let d = hasher.finalize()
        guard d == expected else {
            close(fd)
            throw StoreError(.corrupt, "\(path) has digest \(d), not the expected \(expected).", context: ["path": path])
        }
        if exists(d) {
            close(fd)
            return (d, size)
        }
        try FileSystem.commit((fd, path), to: layout.blob(d))
        close(fd)
        return (d, size)
    }

    func delete(_ d: Digest) { unlink(layout.blob(d)) }

    /// All blob digests present.
    func all() -> [Digest] {
        let fd = open(layout.blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        return RootedDirectory.listNames(fd).compactMap { Digest(hex: $0) }
    }
}
