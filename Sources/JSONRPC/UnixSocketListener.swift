import Glibc

/// A listening Unix stream socket whose file is created mode 0600 and removed on close.
public final class UnixSocketListener: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let lock = ConditionLock()
    private var closed = false

    /// Binds `path`. A stale socket file (nobody listening) is replaced; a live one is refused.
    public init(path: String) throws(ServeError) {
        self.path = path
        guard path.utf8.count < 108 else {
            throw ServeError("the socket path \(path) is longer than 107 bytes; choose a shorter --socket path")
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw ServeError("\(path) exists and is not a socket; remove it or choose another --socket path")
            }
            if Self.isLive(path) {
                throw ServeError(
                    "another service is already listening on \(path); stop it first or choose another --socket path")
            }
            unlink(path)
        }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw ServeError("cannot create a socket: \(String(cString: strerror(errno)))") }
        // Bound and listening under a temporary name first, then renamed into place: a client that waits for the
        // file to appear can connect at once.
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let staging = directory + "/.estiba-\(getpid()).sock"
        let bindPath = staging.utf8.count < 108 ? staging : path
        unlink(staging)
        var addr = Self.address(bindPath)
        let oldMask = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(oldMask)
        guard rc == 0 else {
            let e = String(cString: strerror(errno))
            Glibc.close(s)
            throw ServeError("cannot bind \(path): \(e); check that its directory exists and is writable")
        }
        chmod(bindPath, 0o600)
        guard listen(s, 512) == 0 else {
            let e = String(cString: strerror(errno))
            Glibc.close(s)
            unlink(bindPath)
            throw ServeError("cannot listen on \(path): \(e)")
        }
        if bindPath != path, rename(bindPath, path) != 0 {
            let e = String(cString: strerror(errno))
            Glibc.close(s)
            unlink(bindPath)
            throw ServeError("cannot create \(path): \(e); check that its directory is writable")
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            Glibc.close(s)
            unlink(path)
            throw ServeError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        fd = s
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
    }

    /// Waits for the next client; nil once closed.
    func accept() -> Int32? {
        while true {
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, 2, -1)
            if n < 0, errno == EINTR { continue }
            if lock.withLock({ closed }) || fds[1].revents != 0 { return nil }
            let c = Glibc.accept(fd, nil, nil)
            if c >= 0 {
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                // Large results (a parse of a long Dockerfile is a few hundred KiB) then go out in one write
                // instead of waiting for the client to drain the default ~200 KiB buffer (the kernel caps the
                // size at net.core.wmem_max).
                var size: Int32 = 1 << 20
                _ = setsockopt(c, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                return c
            }
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            return nil
        }
    }

    /// Stops accepting and removes the socket file.
    public func close() {
        let first: Bool = lock.withLock {
            if closed { return false }
            closed = true
            return true
        }
        guard first else { return }
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
        unlink(path)
    }

    static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        return addr
    }

    /// True when something accepts connections on `path`.
    static func isLive(_ path: String) -> Bool {
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return false }
        defer { Glibc.close(s) }
        var addr = address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }
}

/// The service could not start (socket in use, bad path…); the message says what to do.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
