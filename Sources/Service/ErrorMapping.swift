import Engine
import EstibaJSON
import JSONRPC

extension EngineError {
    /// The stable JSON-RPC error for an engine failure, with its context as `data`.
    var rpcError: RPCError {
        var data = JSONObject()
        data.append("kind", .string(code.rawValue))
        for k in context.keys.sorted() { data.append(k, .string(context[k] ?? "")) }
        let c: Int
        switch code {
        case .notFound: c = RPCErrorCode.notFound
        case .invalidArgument: c = RPCErrorCode.invalidParams
        case .io: c = RPCErrorCode.ioError
        case .cancelled: c = RPCErrorCode.requestCancelled
        case .syntax: c = RPCErrorCode.dockerfileSyntax
        case .conflict: c = RPCErrorCode.conflict
        case .badInput: c = RPCErrorCode.badInput
        case .buildFailed: c = RPCErrorCode.buildFailed
        case .launchFailed: c = RPCErrorCode.engineError
        case .internal: c = RPCErrorCode.engineError
        }
        return RPCError(code: c, message: message, data: .object(data))
    }
}
