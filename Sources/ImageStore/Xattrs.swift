import CSys
import Glibc

/// Extended attributes of a directory entry, read without following symbolic links.
enum Xattrs {
    /// Names and values of `name` in `dirfd`, sorted by name (through /proc/self/fd so the entry's parent is
    /// the already-opened directory).
    static func read(_ dirfd: Int32, _ name: String) -> [(String, [UInt8])] {
        let path = "/proc/self/fd/\(dirfd)/\(name)"
        let size = llistxattr(path, nil, 0)
        guard size > 0 else { return [] }
        var list = [CChar](repeating: 0, count: size)
        let got = llistxattr(path, &list, size)
        guard got > 0 else { return [] }
        var out: [(String, [UInt8])] = []
        for raw in list[0..<got].split(separator: 0) {
            let key = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let vsize = lgetxattr(path, key, nil, 0)
            guard vsize >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: vsize)
            if vsize > 0 { _ = lgetxattr(path, key, &value, vsize) }
            out.append((key, value))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Sets an attribute on an open descriptor.
    static func set(_ fd: Int32, _ key: String, _ value: [UInt8]) -> Bool {
        value.withUnsafeBytes { fsetxattr(fd, key, $0.baseAddress, $0.count, 0) } == 0
    }

    /// Sets an attribute on `name` in `dirfd` without following a final symbolic link.
    static func setNoFollow(_ dirfd: Int32, _ name: String, _ key: String, _ value: [UInt8]) -> Bool {
        let path = "/proc/self/fd/\(dirfd)/\(name)"
        return value.withUnsafeBytes { lsetxattr(path, key, $0.baseAddress, $0.count, 0) } == 0
    }

    /// overlayfs marks an opaque directory with this attribute (value "y").
    static let overlayOpaque = "trusted.overlay.opaque"
}
