import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// `input` and `resize`: keystrokes and window size for a container started with `interactive`/`tty`.
    static let sessionMethods: [ServiceMethod] = [
        ServiceMethod("input", params: ["container", "data", "eof"]) { service, p throws(RPCError) in
            let spec = try p.reference("container", "container")
            let eof = try p.bool("eof") ?? false
            var bytes: [UInt8] = []
            if let data = try p.string("data") {
                guard let decoded = Base64.decode(data) else { throw RPCErrorCode.invalidParams("\"data\" of input must be base64", param: "data") }
                bytes = decoded
            }
            guard let (s, inputEnded) = service.sessions.find(spec), !inputEnded else {
                return .done(.failure(EstibaError(.notFound, "No interactive session for container \(spec) (or its input was closed); start it with run {\"interactive\": true} on this service.", context: ["container": spec]).rpcError))
            }
            if eof, !s.tty { service.sessions.markInputEnded(s.id) }
            // Queued now, on the connection's reader thread, so that inputs keep the order they were sent in.
            let written = s.input.submit(bytes, eof: eof, to: s.process)
            return .deferred { _ in .success(["written": .int(Int64(await written.value))]) }
        },
        ServiceMethod("resize", params: ["container", "rows", "cols"]) { service, p throws(RPCError) in
            let spec = try p.reference("container", "container")
            let rows = try p.requiredInteger("rows", in: 1...65535)
            let cols = try p.requiredInteger("cols", in: 1...65535)
            guard let (s, _) = service.sessions.find(spec), s.tty else {
                return .done(.failure(EstibaError(.notFound, "No terminal session for container \(spec); start it with run {\"tty\": true} on this service.", context: ["container": spec]).rpcError))
            }
            guard let r = UInt16(exactly: rows), let c = UInt16(exactly: cols) else {
                throw RPCErrorCode.invalidParams("resize takes \"rows\" and \"cols\": integers from 1 to 65535", param: "rows")
            }
            do throws(EstibaError) { try s.process.resize(rows: r, columns: c) } catch {
                return .done(.failure(EstibaError(.io, "Cannot resize the terminal of \(spec): \(error.message)", context: ["container": spec]).rpcError))
            }
            return .done(.success(["rows": .int(rows), "cols": .int(cols)]))
        },
    ]
}
