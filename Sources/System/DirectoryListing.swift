import Glibc

/// One name in a directory, with its kind when the file system tells it without a `stat`.
public struct DirectoryEntry: Sendable, Hashable {
    /// The name's bytes, exactly as stored (not always UTF-8).
    public var rawName: [UInt8]
    public var kind: FileKind?

    public var name: String { String(decoding: rawName, as: UTF8.self) }
}

extension FileDescriptor {
    /// The entries of this directory (without `.` and `..`), sorted by their bytes.
    public func entries() throws(EstibaError) -> [DirectoryEntry] {
        let copy = fcntl(rawValue, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw .last("list", path: path) }
        guard let dir = fdopendir(copy) else {
            let e = EstibaError.last("list", path: path)
            _ = Glibc.close(copy)
            throw e
        }
        defer { closedir(dir) }
        // The copy shares the position of this descriptor's open file; start from the beginning.
        rewinddir(dir)
        var out: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw .last("list", path: path) }
                break
            }
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            out.append(DirectoryEntry(rawName: name, kind: Self.kind(ofDirectoryType: ent.pointee.d_type)))
        }
        out.sort { $0.rawName.lexicographicallyPrecedes($1.rawName) }
        return out
    }

    /// The names in this directory (without `.` and `..`), sorted by their bytes.
    public func names() throws(EstibaError) -> [String] { try entries().map(\.name) }

    private static func kind(ofDirectoryType type: UInt8) -> FileKind? {
        switch Int(type) {
        case Int(DT_REG): .regular
        case Int(DT_DIR): .directory
        case Int(DT_LNK): .symbolicLink
        case Int(DT_CHR): .characterDevice
        case Int(DT_BLK): .blockDevice
        case Int(DT_FIFO): .fifo
        case Int(DT_SOCK): .socket
        default: nil
        }
    }
}

extension DirectoryEntry {
    /// Calls `body` with the name as a NUL-terminated C string.
    func withCName<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        let text = UnsafeMutablePointer<CChar>.allocate(capacity: rawName.count + 1)
        defer { text.deallocate() }
        for (i, b) in rawName.enumerated() { text[i] = CChar(bitPattern: b) }
        text[rawName.count] = 0
        return try body(text)
    }
}
