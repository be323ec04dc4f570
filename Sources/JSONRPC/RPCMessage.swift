import EstibaJSON

/// A request id: a string or a number, or null (allowed by JSON-RPC 2.0 though discouraged).
public enum RPCID: Sendable, Hashable, CustomStringConvertible {
    case null
    case number(Int64)
    case double(Double)
    case string(String)

    public init?(_ v: JSONValue) {
        switch v {
        case .int(let i): self = .number(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .null: self = .null
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .number(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    public var description: String { json.encodedString() }
}

/// A decoded request (`id` set) or notification (`id` nil).
public struct RPCRequest: Sendable {
    public var id: RPCID?
    public var method: String
    /// The `params` member: an object, an array, or nil when absent.
    public var params: JSONValue?

    public init(id: RPCID?, method: String, params: JSONValue?) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }
}

/// What one element of a message is, after validation.
enum IncomingMessage {
    case request(RPCRequest)
    /// An invalid message; `id` is the request's id when it could be read (else the reply carries null).
    case invalid(RPCError, id: RPCID?)
    /// A response from the client to a request the server sent (`id` nil when it cannot be read): the result, or
    /// the error.
    case response(id: RPCID?, Result<JSONValue, RPCError>)
}

enum RPCMessageDecoder {
    static func classify(_ v: JSONValue) -> IncomingMessage {
        guard case .object(let o) = v else {
            return .invalid(RPCErrorCode.invalidRequest("a request must be a JSON object, got \(v.typeName)"), id: nil)
        }
        let idValue = o["id"]
        var id: RPCID? = nil
        if let idValue {
            guard let parsed = RPCID(idValue) else {
                return .invalid(RPCErrorCode.invalidRequest("\"id\" must be a string, a number or null"), id: nil)
            }
            id = parsed
        }
        guard o["jsonrpc"] == .string("2.0") else {
            if o["method"] == nil, o["result"] != nil || o["error"] != nil { return response(o, id) }
            return .invalid(RPCErrorCode.invalidRequest("\"jsonrpc\" must be exactly \"2.0\""), id: id)
        }
        guard let methodValue = o["method"] else {
            if o["result"] != nil || o["error"] != nil { return response(o, id) }
            return .invalid(RPCErrorCode.invalidRequest("missing \"method\""), id: id)
        }
        guard case .string(let method) = methodValue else {
            return .invalid(RPCErrorCode.invalidRequest("\"method\" must be a string"), id: id)
        }
        let params = o["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                return .invalid(RPCErrorCode.invalidRequest("\"params\" must be an object or an array"), id: id)
            }
        }
        return .request(RPCRequest(id: id, method: method, params: params))
    }

    static func response(_ o: JSONObject, _ id: RPCID?) -> IncomingMessage {
        if let error = o["error"] {
            let code = error["code"]?.intValue.flatMap { Int(exactly: $0) } ?? RPCErrorCode.internalError
            return .response(id: id, .failure(RPCError(code: code, message: error["message"]?.stringValue ?? "", data: error["data"])))
        }
        return .response(id: id, .success(o["result"] ?? .null))
    }

    /// A request from the server to the client.
    static func request(id: RPCID, method: String, params: JSONValue?) -> JSONValue {
        var o = JSONObject()
        o.append("jsonrpc", "2.0")
        o.append("id", encode(id))
        o.append("method", .string(method))
        if let params { o.append("params", params) }
        return .object(o)
    }

    /// `{"jsonrpc":"2.0","id":…,"result":…}` written around already-encoded parts (no envelope object to build).
    static func responseText(id: RPCID?, result: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(result.count + 40)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        switch id {
        case .number(let n)?: out.append(contentsOf: String(n).utf8)
        default: out.append(contentsOf: encode(id).encoded())
        }
        out.append(contentsOf: #","result":"#.utf8)
        out.append(contentsOf: result)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func errorResponse(id: RPCID?, error: RPCError) -> JSONValue {
        var o = JSONObject()
        o.append("jsonrpc", "2.0")
        o.append("id", encode(id))
        o.append("error", error.json)
        return .object(o)
    }

    /// `{"jsonrpc":"2.0","method":…,"params":…}` written around already-encoded params.
    static func notificationText(method: String, params: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(params.count + method.utf8.count + 40)
        out.append(contentsOf: #"{"jsonrpc":"2.0","method":"#.utf8)
        out.append(contentsOf: JSONValue.string(method).encoded())
        out.append(contentsOf: #","params":"#.utf8)
        out.append(contentsOf: params)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func notification(method: String, params: JSONValue) -> JSONValue {
        var o = JSONObject()
        o.append("jsonrpc", "2.0")
        o.append("method", .string(method))
        o.append("params", params)
        return .object(o)
    }

    /// The wire form of an id (null when it could not be read).
    static func encode(_ id: RPCID?) -> JSONValue { id?.json ?? .null }
}
