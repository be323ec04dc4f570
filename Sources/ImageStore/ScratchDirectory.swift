import CSys
import Glibc

/// Scratch directories under the store's `tmp/`. One that a live process works in (a build step) holds a `lock`
/// file that process keeps locked with flock; `prune` removes only scratch directories nobody holds, unmounting
/// first whatever a killed process left mounted in them.
public enum ScratchDirectory {
    public static let lockName = "lock"

    /// Creates and locks `directory/lock`; the returned descriptor holds the lock until it is closed.
    public static func claim(_ directory: String) throws(StoreError) -> Int32 {
        let path = directory + "/" + lockName
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("Cannot create the lock file", path, errno: errno) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw StoreError.io("Cannot lock", path, errno: e)
        }
        return fd
    }

    /// Whether a live process holds the scratch entry `name` of directory `dirfd`.
    static func isHeld(_ dirfd: Int32, _ name: String) -> Bool {
        let fd = csys_openat(dirfd, name + "/" + lockName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            return errno == EWOULDBLOCK
        }
        flock(fd, LOCK_UN)
        return false
    }

    /// Detaches every mount at or below `path` (deepest first). False when one is still there afterwards.
    static func unmountAll(under path: String) -> Bool {
        guard let resolved = realpath(path, nil) else { return false }
        let prefix = String(cString: resolved)
        free(resolved)
        for _ in 0..<8 {
            let points = mountPoints(under: prefix)
            if points.isEmpty { return true }
            for p in points.sorted(by: { $0.utf8.count > $1.utf8.count }) { _ = csys_umount(p) }
        }
        return mountPoints(under: prefix).isEmpty
    }

    /// Mount points of this process's namespace at or below `prefix` (from /proc/self/mountinfo).
    static func mountPoints(under prefix: String) -> [String] {
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        var out: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count > 4 else { continue }
            let point = unescape(fields[4])
            if point == prefix || point.hasPrefix(prefix + "/") { out.append(point) }
        }
        return out
    }

    /// mountinfo writes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = field.startIndex
        while i < field.endIndex {
            if field[i] == UInt8(ascii: "\\"), field.endIndex - i >= 4 {
                let digits = field[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) {
                    let value = digits.reduce(0) { $0 * 8 + Int($1 - UInt8(ascii: "0")) }
                    if value < 256 {
                        out.append(UInt8(value))
                        i += 4
                        continue
                    }
                }
            }
            out.append(field[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
