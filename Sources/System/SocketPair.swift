import Glibc

/// A connected pair of Unix stream sockets: bytes written to one end are read from the other, both ways. Both
/// ends are close-on-exec; hand one to a child by duplicating it onto the child's descriptor. Unlike a pipe, one
/// direction can be shut while the descriptor stays open (`shutdownSending`), and `send` to a peer that is gone
/// fails with EPIPE instead of raising SIGPIPE.
public struct SocketPair: Sendable {
    public let first: FileDescriptor
    public let second: FileDescriptor

    public init() throws(EstibaError) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw .last("create a socket pair")
        }
        first = FileDescriptor(adopting: fds[0], path: "socket")
        second = FileDescriptor(adopting: fds[1], path: "socket")
    }
}

extension FileDescriptor {
    /// Sends all of `bytes` on a connected socket, however many calls it takes. A peer that is gone fails with
    /// EPIPE (no SIGPIPE is raised, whatever the process does with that signal).
    public func send(_ bytes: [UInt8]) throws(EstibaError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(rawValue, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0, errno == EINTR { continue }
            throw n == 0 ? EstibaError.system(EIO, "send on", path: path) : .last("send on", path: path)
        }
    }

    /// Shuts the sending direction of a socket: the peer reads end of file, and this end can still receive.
    public func shutdownSending() throws(EstibaError) {
        guard shutdown(rawValue, Int32(SHUT_WR)) == 0 else { throw .last("shut down", path: path) }
    }
}
