import Engine
import EstibaJSON
import Glibc
import JSONRPC
import Synchronization

/// Containers started with `interactive` or `tty` over JSON-RPC: where `input` writes (the container's stdin
/// pipe or its terminal's master) and, for terminals, what `resize` sets.
final class InteractiveSessions: Sendable {
    struct Session: Sendable {
        var id: String
        var name: String
        /// Where input goes; -1 once stdin was closed.
        var input: Int32
        var tty: Bool
    }

    private let table = Mutex<[String: Session]>([:])

    func add(_ s: Session) { table.withLock { $0[s.id] = s } }

    /// Forgets the session and closes its input.
    func remove(_ id: String) {
        let s = table.withLock { $0.removeValue(forKey: id) }
        if let s, s.input >= 0, !s.tty { close(s.input) }
    }

    func find(_ spec: String) -> Session? {
        table.withLock { t in t[spec] ?? t.values.first { $0.name == spec || $0.id.hasPrefix(spec) && spec.count >= 4 } }
    }

    /// Ends the container's stdin (a terminal gets Ctrl-D instead: its line discipline turns it into EOF).
    func closeInput(_ id: String) {
        let fd: Int32? = table.withLock { t in
            guard var s = t[id], s.input >= 0, !s.tty else { return nil }
            let fd = s.input
            s.input = -1
            t[id] = s
            return fd
        }
        if let fd { close(fd) }
    }
}

extension EstibaService {
    /// `input` and `resize`: keystrokes and window size for a container started with `interactive`/`tty`.
    func sessionMethod(_ request: RPCRequest) throws(RPCError) -> RPCOutcome {
        if request.method == "resize" {
            let p = try Params(request, allowed: ["container", "rows", "cols"])
            let spec = try p.requiredString("container")
            guard let rows = p.object["rows"]?.intValue, let cols = p.object["cols"]?.intValue, rows > 0, cols > 0, rows < 65536, cols < 65536 else {
                throw RPCErrorCode.invalidParams("resize takes \"rows\" and \"cols\": positive integers")
            }
            guard let s = sessions.find(spec), s.tty else {
                return .done(.failure(EngineError(.notFound, "No terminal session for container \(spec); start it with run {\"tty\": true} on this service.", context: ["container": spec]).rpcError))
            }
            var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(cols), ws_xpixel: 0, ws_ypixel: 0)
            guard ioctl(s.input, UInt(TIOCSWINSZ), &size) == 0 else {
                return .done(.failure(EngineError(.io, "Cannot resize the terminal of \(spec): \(String(cString: strerror(errno))).").rpcError))
            }
            return .done(.success(["rows": .int(rows), "cols": .int(cols)]))
        }
        let p = try Params(request, allowed: ["container", "data", "eof"])
        let spec = try p.requiredString("container")
        let eof = try p.bool("eof") ?? false
        var bytes: [UInt8] = []
        if let data = try p.string("data") {
            guard let decoded = Base64.decode(data) else { throw RPCErrorCode.invalidParams("\"data\" must be base64") }
            bytes = decoded
        }
        guard let s = sessions.find(spec), s.input >= 0 else {
            return .done(.failure(EngineError(.notFound, "No interactive session for container \(spec) (or its input was closed); start it with run {\"interactive\": true} on this service.", context: ["container": spec]).rpcError))
        }
        let sessions = self.sessions
        let toWrite = bytes
        // Writing may block until the container reads: do it on a thread of its own.
        return .deferred { _ in
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                startThread {
                    var off = 0
                    while off < toWrite.count {
                        let w = toWrite.withUnsafeBytes { p in p.baseAddress.map { write(s.input, $0 + off, toWrite.count - off) } ?? -1 }
                        if w < 0, errno == EINTR { continue }
                        if w <= 0 { break }
                        off += w
                    }
                    c.resume()
                }
            }
            if eof {
                if s.tty {
                    var ctrlD: UInt8 = 4
                    _ = write(s.input, &ctrlD, 1)
                } else {
                    sessions.closeInput(s.id)
                }
            }
            return .success(["written": .int(Int64(toWrite.count))])
        }
    }
}
