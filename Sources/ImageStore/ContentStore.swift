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
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(src, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                unlink(tmp.path)
                throw StoreError.io("Cannot read", path, errno: errno)
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { write(tmp.fd, $0.baseAddress.map { $0 + off }, n - off) }
                guard w > 0 else {
                    unlink(tmp.path)
                    throw StoreError.io("Cannot write", tmp.path, errno: errno)
                }
                off += w
            }
            size += Int64(n)
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
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                close(fd)
                throw StoreError.io("Cannot read", path, errno: errno)
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += Int64(n)
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
