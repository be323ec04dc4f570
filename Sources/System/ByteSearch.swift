import Glibc

/// Finding a byte in memory with the C library's vectorised search (line splitting of large texts).
public enum ByteSearch {
    /// The index of the first `byte` in `buffer` at or after `start`, or nil when there is none.
    public static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, start >= 0, start < buffer.count,
            let found = memchr(base + start, Int32(byte), buffer.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
