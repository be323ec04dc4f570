import Glibc

/// NULL-terminated arrays of C strings (`argv`, `envp`, lists of paths) for the length of a call.
extension Array where Element == String {
    /// Calls `body` with `char **` (`char *const argv[]`, as `execve` and `posix_spawn` take it); the array and
    /// its strings live until `body` returns. A string stops at its first NUL.
    public func withCStringArray<R, E: Error>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws(E) -> R) throws(E) -> R {
        let sizes = map { $0.utf8.count + 1 }
        let text = UnsafeMutablePointer<CChar>.allocate(capacity: Swift.max(sizes.reduce(0, +), 1))
        defer { text.deallocate() }
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count + 1)
        defer { pointers.deallocate() }
        var offset = 0
        for (i, string) in enumerated() {
            let start = text + offset
            for (j, byte) in string.utf8.enumerated() { start[j] = CChar(bitPattern: byte) }
            start[sizes[i] - 1] = 0
            pointers[i] = start
            offset += sizes[i]
        }
        pointers[count] = nil
        return try body(UnsafePointer(pointers))
    }

    /// `withCStringArray` for C functions that take `const char *const *`.
    public func withConstCStringArray<R, E: Error>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) throws(E) -> R) throws(E) -> R {
        try withCStringArray { (argv) throws(E) in
            try argv.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: count + 1) { constant in
                Result { () throws(E) in try body(constant) }
            }.get()
        }
    }
}

extension Array where Element == String {
    /// The strings of a NULL-terminated C array (`environ`, an `argv`).
    public init(cStringArray: UnsafePointer<UnsafeMutablePointer<CChar>?>) {
        self = []
        var p = cStringArray
        while let s = p.pointee {
            append(String(cString: s))
            p += 1
        }
    }
}

/// An optional C string for the length of a call (nil stays NULL).
public func withOptionalCString<R, E: Error>(_ string: String?, _ body: (UnsafePointer<CChar>?) throws(E) -> R) throws(E) -> R {
    guard let string else { return try body(nil) }
    return try string.withCString { p in Result { () throws(E) in try body(p) } }.get()
}
