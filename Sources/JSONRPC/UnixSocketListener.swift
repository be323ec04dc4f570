import Glibc
import System

/// A listening Unix stream socket whose file is created mode 0600 (0660 for a group given access) and removed on
/// close.
public final class UnixSocketListener: @unchecked Sendable {
    public let path: String
    private let socket: FileDescriptor
    /// Written to by `close()` to wake `accept()`.
    private let wake: Pipe
    private let lock = ConditionLock()
    private var closed = false

    /// Binds `path`. A stale socket file (nobody listening) is replaced; a live one is refused. With `groupID`, the
    /// socket belongs to that group and its members may connect (mode 0660), as Docker's socket with its group.
    public init(path: String, groupID: UInt32? = nil) throws(EstibaError) {
        self.path = path
        guard path.utf8.count < 108 else {
            throw EstibaError(.invalidArgument, "the socket path \(path) is longer than 107 bytes; choose a shorter --socket path")
        }
        if let existing = try? Files.status(path, followLinks: false) {
            guard existing.kind == .socket else {
                throw EstibaError(.conflict, "\(path) exists and is not a socket; remove it or choose another --socket path")
            }
            if Self.isLive(path) {
                throw EstibaError(
                    .unavailable, "another service is already listening on \(path); stop it first or choose another --socket path")
            }
            try? Files.remove(path)
        }
        let s = try Self.makeSocket()
        // Bound and listening under a temporary name first, then renamed into place: a client that waits for the
        // file to appear can connect at once.
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let staging = directory + "/.estiba-\(Processes.currentID).sock"
        let bindPath = staging.utf8.count < 108 ? staging : path
        try? Files.remove(staging)
        var addr = Self.address(bindPath)
        let oldMask = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s.rawValue, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindError = errno
        umask(oldMask)
        guard rc == 0 else {
            throw EstibaError(
                .io, "cannot bind \(path): \(ErrorNumber.text(bindError)); check that its directory exists and is writable",
                context: ["path": path], errorNumber: bindError)
        }
        if let groupID {
            guard chown(bindPath, UInt32.max, groupID) == 0, chmod(bindPath, 0o660) == 0 else {
                let e = EstibaError.last("give the group access to", path: path)
                try? Files.remove(bindPath)
                throw e
            }
        } else {
            try? Files.setPermissions(bindPath, 0o600)
        }
        guard listen(s.rawValue, 512) == 0 else {
            let e = EstibaError.last("listen on", path: path)
            try? Files.remove(bindPath)
            throw e
        }
        if bindPath != path {
            do { try Files.rename(bindPath, to: path) } catch {
                try? Files.remove(bindPath)
                throw EstibaError(.io, "cannot create \(path): \(error.reason); check that its directory is writable", context: ["path": path], errorNumber: error.errorNumber)
            }
        }
        do { wake = try Pipe() } catch {
            try? Files.remove(path)
            throw error
        }
        socket = s
    }

    /// A new Unix stream socket (close-on-exec).
    private static func makeSocket() throws(EstibaError) -> FileDescriptor {
        let s = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw EstibaError.last("create a socket") }
        return FileDescriptor(adopting: s, path: "socket")
    }

    /// Waits for the next client; nil once closed.
    func accept() -> FileDescriptor? {
        while true {
            var fds = [
                pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readEnd.rawValue, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, 2, -1)
            if n < 0, errno == EINTR { continue }
            if lock.withLock({ closed }) || fds[1].revents != 0 { return nil }
            let c = Glibc.accept(socket.rawValue, nil, nil)
            if c >= 0 {
                let client = FileDescriptor(adopting: c, path: path)
                try? client.setInheritable(false)
                // Large results (a parse of a long Dockerfile is a few hundred KiB) then go out in one write
                // instead of waiting for the client to drain the default ~200 KiB buffer (the kernel caps the
                // size at net.core.wmem_max).
                var size: Int32 = 1 << 20
                _ = setsockopt(c, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                return client
            }
            let e = errno
            if e == EINTR || e == EAGAIN || e == ECONNABORTED || e == EMFILE || e == ENFILE {
                if e == EMFILE || e == ENFILE { sleepThread(nanoseconds: 10_000_000) }
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
        try? wake.writeEnd.writeAll([1])
        try? Files.remove(path)
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
        guard let s = try? makeSocket() else { return false }
        var addr = address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s.rawValue, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }
}

