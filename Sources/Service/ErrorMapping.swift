import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaError {
    /// The service's one mapping from Estiba's errors to JSON-RPC: the code class picks the JSON-RPC code, and
    /// `data` carries the class as `kind` and the context (file, line, image, container…).
    var rpcError: RPCError {
        var data = JSONObject()
        data.append("kind", .string(code.rawValue))
        for k in context.keys.sorted() { data.append(k, .string(context[k] ?? "")) }
        return RPCError(code: Self.rpcCode(code), message: message, data: .object(data))
    }

    static func rpcCode(_ code: Code) -> Int {
        switch code {
        case .notFound: RPCErrorCode.notFound
        case .invalidArgument: RPCErrorCode.invalidParams
        case .io: RPCErrorCode.ioError
        case .cancelled: RPCErrorCode.requestCancelled
        case .syntax: RPCErrorCode.dockerfileSyntax
        case .conflict, .alreadyExists, .failedPrecondition: RPCErrorCode.conflict
        case .badInput: RPCErrorCode.badInput
        case .buildFailed: RPCErrorCode.buildFailed
        case .launchFailed, .unavailable, .internal: RPCErrorCode.engineError
        }
    }
}
