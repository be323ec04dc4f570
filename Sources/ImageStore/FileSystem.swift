import CSys
import Glibc

/// Small, careful filesystem operations for the store: atomic replacement, whole-file reads, locks.
enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(StoreError) {
        if mkdir(path, mode) != 0, errno != EEXIST { throw StoreError.io("Cannot create directory", path, errno: errno) }
    }

    /// Writes `bytes` to a new file in `tmpDir`, fsyncs it and renames it over `path`, then fsyncs the directory.
    static func atomicWrite(_ bytes: [UInt8], to path: String, tmpDir: String, mode: mode_t = 0o644) throws(StoreError) {
        let tmp = try temporaryFile(in: tmpDir)
        defer { close(tmp.fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(tmp.fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                unlink(tmp.path)
                throw StoreError.io("Cannot write", tmp.path, errno: e)
            }
            off += n
        }
        try commit(tmp, to: path, mode: mode)
    }

    /// A new empty file in `dir` (caller closes `fd`).
    static func temporaryFile(in dir: String) throws(StoreError) -> (fd: Int32, path: String) {
        var template = Array("\(dir)/tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else { throw StoreError.io("Cannot create a temporary file in", dir, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (fd, String(cString: template))
    }

    /// A new empty directory in `dir`.
    static func temporaryDirectory(in dir: String) throws(StoreError) -> String {
        var template = Array("\(dir)/dir-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> Bool in
            guard let base = buf.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else {
            throw StoreError.io("Cannot create a temporary directory in", dir, errno: errno)
        }
        return String(cString: template)
    }

    /// fsyncs a written temporary file and renames it into place (durably).
    static func commit(_ tmp: (fd: Int32, path: String), to path: String, mode: mode_t = 0o644) throws(StoreError) {
        fchmod(tmp.fd, mode)
        guard fsync(tmp.fd) == 0 else {
            let e = errno
            unlink(tmp.path)
            throw StoreError.io("Cannot flush", tmp.path, errno: e)
        }
        guard rename(tmp.path, path) == 0 else {
            let e = errno
            unlink(tmp.path)
            throw StoreError.io("Cannot move a new file to", path, errno: e)
        }
        syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// The whole file, refusing files over `limit` bytes.
    static func read(_ path: String, limit: Int = 64 << 20) throws(StoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StoreError(.notFound, "\(path) does not exist.", context: ["path": path]) }
            throw StoreError.io("Cannot open", path, errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        guard Int(st.st_size) <= limit else {
            throw StoreError(.corrupt, "\(path) is \(st.st_size) bytes, more than the \(limit) expected.", context: ["path": path])
        }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            off += n
        }
        return Array(bytes[0..<off])
    }

    static func removeTree(_ path: String) throws(StoreError) {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let name = String(path.split(separator: "/").last ?? "")
        let fd = open(parent.isEmpty ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        try RootedDirectory.removeTree(fd, name)
    }
}

/// An exclusive advisory lock on a file (flock), released on `unlock` or when the process exits.
final class FileLock {
    private let fd: Int32

    init(path: String) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("Cannot open lock file", path, errno: errno) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw StoreError.io("Cannot lock", path, errno: e)
        }
        self.fd = fd
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension FileSystem {
    /// Copies a file with the kernel's copy_file_range where it can, read/write otherwise.
    static func copy(_ from: String, to: String) throws(StoreError) {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw StoreError.io("Cannot open", from, errno: errno) }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw StoreError.io("Cannot create", to, errno: errno) }
        defer { close(dst) }
        var st = stat()
        fstat(src, &st)
        try FileTree.copyData(from: src, to: dst, size: Int(st.st_size), name: from)
    }
}

extension FileSystem {
    /// Reads `fd` to its end in chunks of up to 1 MiB, handing each to `body` (retrying on EINTR).
    static func forEachChunk(
        _ fd: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw StoreError.io("Cannot read", path, errno: errno) }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StoreError) {
        var off = 0
        while off < bytes.count {
            let w = Glibc.write(fd, bytes.baseAddress.map { $0 + off }, bytes.count - off)
            if w < 0, errno == EINTR { continue }
            guard w > 0 else { throw StoreError.io("Cannot write", path, errno: errno) }
            off += w
        }
    }
}
