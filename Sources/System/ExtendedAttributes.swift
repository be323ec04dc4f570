import CSys
import Glibc

/// Extended attributes (xattrs) of an open file, or of an entry of a directory without following a link.
extension FileDescriptor {
    /// Names and values of `name`'s attributes in this directory (not following a final link), sorted by name.
    public func extendedAttributes(of name: String) throws(EstibaError) -> [(name: String, value: [UInt8])] {
        // Through /proc/self/fd: the l*xattr calls take only paths, and this one reaches exactly this directory.
        let path = procPath + "/" + name
        let shown = entryPath(name)
        let names = try Self.xattrNames(shown) { buffer, size in llistxattr(path, buffer, size) }
        var out: [(name: String, value: [UInt8])] = []
        for key in names {
            let value = try Self.xattrValue(shown) { buffer, size in lgetxattr(path, key, buffer, size) }
            if let value { out.append((key, value)) }
        }
        return out.sorted { $0.name < $1.name }
    }

    /// The value of attribute `key` of the open file; nil when it has none.
    public func extendedAttribute(_ key: String) throws(EstibaError) -> [UInt8]? {
        try Self.xattrValue(path ?? procPath) { buffer, size in fgetxattr(rawValue, key, buffer, size) }
    }

    public func setExtendedAttribute(_ key: String, _ value: [UInt8]) throws(EstibaError) {
        let rc = value.withUnsafeBytes { fsetxattr(rawValue, key, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw .last("set attribute \(key) of", path: path) }
    }

    /// Sets attribute `key` of `name` in this directory (not following a final link).
    public func setExtendedAttribute(of name: String, _ key: String, _ value: [UInt8]) throws(EstibaError) {
        let path = procPath + "/" + name
        let rc = value.withUnsafeBytes { lsetxattr(path, key, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw .last("set attribute \(key) of", path: entryPath(name)) }
    }

    /// Removes attribute `key` of the open file; a missing attribute is fine.
    public func removeExtendedAttribute(_ key: String) throws(EstibaError) {
        guard fremovexattr(rawValue, key) == 0 || errno == ENODATA else { throw .last("remove attribute \(key) of", path: path) }
    }

    private static func xattrNames(_ shown: String, _ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws(EstibaError) -> [String] {
        guard let list = try xattrValue(shown, { buffer, size in call(buffer?.assumingMemoryBound(to: CChar.self), size) }) else { return [] }
        return list.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sizes, then reads, an attribute value or list (retrying when it grew in between); nil when absent.
    private static func xattrValue(_ shown: String, _ call: (UnsafeMutableRawPointer?, Int) -> Int) throws(EstibaError) -> [UInt8]? {
        while true {
            let size = call(nil, 0)
            if size < 0 {
                if errno == ENODATA { return nil }
                throw .last("read the attributes of", path: shown)
            }
            if size == 0 { return [] }
            var value = [UInt8](repeating: 0, count: size)
            let got = value.withUnsafeMutableBytes { call($0.baseAddress, size) }
            if got >= 0 { return Array(value[0..<got]) }
            if errno != ERANGE { throw .last("read the attributes of", path: shown) }
        }
    }
}
