import Glibc

/// Files written whole or not at all: to `<file>.tmp`, synced, then renamed over the file.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to file: String) throws(RuntimeError) {
        let tmp = file + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeError("Cannot write \(file): \(String(cString: strerror(errno))).") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + written }, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                close(fd)
                unlink(tmp)
                throw RuntimeError("Cannot write \(file): \(String(cString: strerror(e))).")
            }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, file) == 0 else { throw RuntimeError("Cannot write \(file): \(String(cString: strerror(errno))).") }
    }
}
