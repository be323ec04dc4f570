import Glibc

/// Creating, linking, renaming and removing entries of a directory opened as a descriptor. None of these
/// follows a symbolic link in `name` itself.
extension FileDescriptor {
    /// Creates the directory `name` (EEXIST when the name is taken).
    public func makeDirectory(_ name: String, permissions: UInt32 = 0o755) throws(EstibaError) {
        guard mkdirat(rawValue, name, permissions) == 0 else { throw .last("create directory", path: entryPath(name)) }
    }

    /// Removes the entry `name` (not a directory).
    public func removeEntry(_ name: String) throws(EstibaError) {
        guard unlinkat(rawValue, name, 0) == 0 else { throw .last("remove", path: entryPath(name)) }
    }

    /// Removes the empty directory `name`.
    public func removeDirectory(_ name: String) throws(EstibaError) {
        guard unlinkat(rawValue, name, AT_REMOVEDIR) == 0 else { throw .last("remove directory", path: entryPath(name)) }
    }

    /// Creates the symbolic link `name` pointing at `target`.
    public func makeSymbolicLink(_ name: String, to target: String) throws(EstibaError) {
        guard symlinkat(target, rawValue, name) == 0 else { throw .last("create the link", path: entryPath(name)) }
    }

    /// The target of the symbolic link `name` (an empty name: the link this descriptor was opened on with
    /// `.pathOnly` and `.noFollow`).
    public func readLink(_ name: String) throws(EstibaError) -> String {
        try LinkText.read("read the link", entryPath(name)) { buffer, size in readlinkat(rawValue, name, buffer, size) }
    }

    /// Creates the node `name` of `kind` (a device, FIFO, socket or regular file); `device` for devices.
    public func makeNode(_ name: String, kind: FileKind, permissions: UInt32, device: UInt64 = 0) throws(EstibaError) {
        guard mknodat(rawValue, name, kind.typeBits | (permissions & 0o7777), dev_t(device)) == 0 else {
            throw .last("create the node", path: entryPath(name))
        }
    }

    /// Makes `name` here another name of `existing` in `directory` (a hard link).
    public func makeHardLink(_ name: String, to existing: String, in directory: FileDescriptor) throws(EstibaError) {
        guard linkat(directory.rawValue, existing, rawValue, name, 0) == 0 else {
            throw .last("link \(directory.entryPath(existing)) as", path: entryPath(name))
        }
    }

    /// Renames `name` to `newName` in `directory` (this one by default), replacing what is there.
    public func rename(_ name: String, to newName: String, in directory: FileDescriptor? = nil) throws(EstibaError) {
        let target = directory ?? self
        guard renameat(rawValue, name, target.rawValue, newName) == 0 else {
            throw .last("rename \(entryPath(name)) to", path: target.entryPath(newName))
        }
    }
}

/// Reading a link's text into a buffer that grows until the text fits.
enum LinkText {
    static func read(
        _ operation: String, _ path: String, _ call: (UnsafeMutablePointer<CChar>, Int) -> Int
    ) throws(EstibaError) -> String {
        var size = 256
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBufferPointer { b in b.baseAddress.map { call($0, size) } ?? -1 }
            guard n >= 0 else { throw .last(operation, path: path) }
            if n < size {
                return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size *= 4
        }
    }
}
