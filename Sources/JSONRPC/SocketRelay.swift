import Glibc
import System

/// Joins a client on standard input and output to a service's Unix socket, byte for byte in both directions: a
/// language server started by an editor as a user hands the whole session to a running service that may use the
/// store. Framing, requests the service sends the client and their answers pass through unchanged.
public enum SocketRelay {
    /// Connects to the socket at `path`; nil (and why) when that is not possible.
    public static func connect(_ path: String) -> Result<FileDescriptor, EstibaError> {
        guard path.utf8.count < 108 else { return .failure(EstibaError(.invalidArgument, "the socket path \(path) is longer than 107 bytes")) }
        let s = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return .failure(EstibaError.last("create a socket")) }
        let socket = FileDescriptor(adopting: s, path: path)
        var addr = UnixSocketListener.address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { return .failure(EstibaError.last("connect to", path: path)) }
        return .success(socket)
    }

    /// Relays `input` to `socket` and `socket` to `output` until the service closes the connection (after the
    /// client's `exit`, or when it stops); the end of `input` is passed on as the end of the client's writing.
    public static func run(_ socket: FileDescriptor, input: FileDescriptor, output: FileDescriptor) {
        startThread {
            copy(from: input, to: socket)
            // The client wrote its last: the service reads end of file, and answers what it still owes.
            _ = shutdown(socket.rawValue, Int32(SHUT_WR))
        }
        // Returns when the service closes the connection (the input thread may still wait on the client; the
        // process ends with this).
        copy(from: socket, to: output)
    }

    /// Copies until end of file or an error on either side.
    static func copy(from: FileDescriptor, to: FileDescriptor) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            guard let n = try? from.read(into: buffer), n > 0 else { return }
            guard (try? to.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))) != nil else { return }
        }
    }
}
