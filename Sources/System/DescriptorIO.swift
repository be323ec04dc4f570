import Glibc

extension FileDescriptor {
    /// Reads up to `buffer.count` bytes; 0 at end of file. Retries when interrupted, and waits when the
    /// descriptor is non-blocking and has nothing yet.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(EstibaError) -> Int {
        while true {
            let n = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            try retryOrThrow("read", waitingFor: POLLIN)
        }
    }

    /// Reads up to `count` bytes at `offset`, leaving the file position alone; fewer at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(EstibaError) -> Int {
        while true {
            let n = pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            try retryOrThrow("read", waitingFor: POLLIN)
        }
    }

    /// One read of at most `count` bytes; empty at end of file.
    public func read(upTo count: Int) throws(EstibaError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        let n = try bytes.withUnsafeMutableBytes { raw in Result { () throws(EstibaError) in try read(into: raw) } }.get()
        bytes.removeLast(bytes.count - n)
        return bytes
    }

    /// Everything up to the end of file, or the first `limit` bytes (read `limit + 1` to tell a file that is
    /// too long).
    public func readAll(upTo limit: Int = .max) throws(EstibaError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(max(limit, 1), 1 << 16))
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let n = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(EstibaError) in try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want])) }
            }.get()
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes some of `bytes` (at least one unless `bytes` is empty); returns how many.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(EstibaError) -> Int {
        guard !bytes.isEmpty else { return 0 }
        while true {
            let n = Glibc.write(rawValue, bytes.baseAddress, bytes.count)
            if n > 0 { return n }
            if n == 0 { throw EstibaError.system(EIO, "write", path: path) }
            try retryOrThrow("write", waitingFor: POLLOUT)
        }
    }

    /// Writes all of `bytes`, however many calls it takes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(EstibaError) {
        var offset = 0
        while offset < bytes.count {
            offset += try write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws(EstibaError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(EstibaError) in try writeAll(raw) } }.get()
    }

    public func writeAll(_ bytes: ArraySlice<UInt8>) throws(EstibaError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(EstibaError) in try writeAll(raw) } }.get()
    }

    /// Writes the UTF-8 bytes of `text`.
    public func writeAll(_ text: String) throws(EstibaError) {
        var text = text
        try text.withUTF8 { utf8 in Result { () throws(EstibaError) in try writeAll(UnsafeRawBufferPointer(utf8)) } }.get()
    }

    /// Writes all of `bytes` at `offset`, leaving the file position alone (holes stay holes).
    public func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(EstibaError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(rawValue, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
                continue
            }
            if n == 0 { throw EstibaError.system(EIO, "write", path: path) }
            try retryOrThrow("write", waitingFor: POLLOUT)
        }
    }

    /// Flushes the file's data and metadata to the disk.
    public func sync() throws(EstibaError) {
        while fsync(rawValue) != 0 {
            if errno == EINTR { continue }
            throw .last("flush", path: path)
        }
    }

    /// Sets the file's size, cutting or extending it with zeros.
    public func truncate(to size: Int64) throws(EstibaError) {
        while ftruncate(rawValue, off_t(size)) != 0 {
            if errno == EINTR { continue }
            throw .last("resize", path: path)
        }
    }

    /// Whether a write of up to `PIPE_BUF` (4,096) bytes would go through at once: the pipe or socket has room now
    /// (poll says writable, and neither end is broken).
    public var acceptsSmallWriteNow: Bool {
        var p = pollfd(fd: rawValue, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLOUT) != 0 && p.revents & Int16(POLLERR | POLLHUP) == 0
    }

    /// After a failed call: returns to retry (interrupted, or non-blocking and now ready), else throws.
    private func retryOrThrow(_ operation: String, waitingFor event: Int32) throws(EstibaError) {
        let e = errno
        if e == EINTR { return }
        if e == EAGAIN || e == EWOULDBLOCK {
            var p = pollfd(fd: rawValue, events: Int16(event), revents: 0)
            _ = poll(&p, 1, -1)
            return
        }
        throw EstibaError.system(e, operation, path: path)
    }
}

/// Reads a descriptor to its end in chunks, reusing one buffer: `while let chunk = try reader.next() { … }`.
/// Each chunk is valid until the next call.
public struct ChunkReader: ~Copyable {
    private let descriptor: FileDescriptor
    private let buffer: UnsafeMutableRawBufferPointer

    public init(_ descriptor: FileDescriptor, chunkSize: Int = 1 << 20) {
        self.descriptor = descriptor
        buffer = .allocate(byteCount: max(chunkSize, 1), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next chunk; nil at end of file.
    public mutating func next() throws(EstibaError) -> UnsafeRawBufferPointer? {
        let n = try descriptor.read(into: buffer)
        return n == 0 ? nil : UnsafeRawBufferPointer(rebasing: buffer[0..<n])
    }
}
