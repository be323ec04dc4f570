import EstibaJSON

/// A JSON-RPC error object. Standard codes are -32700…-32600; Estiba's own live in -32000…-32099.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (code \(code))" }

    public var json: JSONValue {
        var o = JSONObject()
        o.append("code", .int(Int64(code)))
        o.append("message", .string(message))
        if let data { o.append("data", data) }
        return .object(o)
    }
}

/// The error codes Estiba uses. Stable: clients may switch on them.
public enum RPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// LSP's RequestCancelled: the request was cancelled with `$/cancelRequest` or by shutdown.
    public static let requestCancelled = -32800

    /// A generic engine failure (the message says what happened).
    public static let engineError = -32000
    /// A file, image or container named in the request does not exist.
    public static let notFound = -32001
    /// A file could not be read or written.
    public static let ioError = -32002
    /// The service is shutting down and takes no new requests.
    public static let shuttingDown = -32003
    /// A message exceeded the size limit.
    public static let messageTooLarge = -32004
    /// The Dockerfile has a syntax error (only for operations that need a valid file; `parse` reports diagnostics instead).
    public static let dockerfileSyntax = -32005
    /// The request conflicts with the current state (an image used by a container, an ambiguous ID…).
    public static let conflict = -32006
    /// An input archive or document is unsafe or corrupt (the data names the entry).
    public static let badInput = -32007
    /// A build step failed (a RUN command exited non-zero); `data` has the line, exit code and output tail.
    public static let buildFailed = -32008

    public static func parse(_ detail: String) -> RPCError {
        RPCError(code: parseError, message: "Parse error: \(detail). Send one JSON value per message.")
    }

    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: invalidRequest, message: "Invalid Request: \(detail)")
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(
            code: methodNotFound, message: "Method not found: \(method). Call initialize to list the methods.",
            data: ["method": .string(method)])
    }

    public static func invalidParams(_ detail: String) -> RPCError {
        RPCError(code: invalidParams, message: "Invalid params: \(detail)")
    }

    /// Bad params, naming the parameter in `data.param`.
    public static func invalidParams(_ detail: String, param: String) -> RPCError {
        RPCError(code: invalidParams, message: "Invalid params: \(detail)", data: ["param": .string(param)])
    }

    public static func cancelled() -> RPCError {
        RPCError(code: requestCancelled, message: "Request cancelled")
    }
}
