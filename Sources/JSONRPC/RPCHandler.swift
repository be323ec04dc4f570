import EstibaJSON

/// How a handler answers one request.
public enum RPCOutcome: Sendable {
    /// Answered on the spot (cheap methods: no I/O, microseconds of work).
    case done(Result<JSONValue, RPCError>)
    /// Answered on the spot with a result encoded beforehand (constant results).
    case doneEncoded(JSONText)
    /// Runs as a cancellable task; other requests on the connection proceed meanwhile.
    case deferred(@Sendable (RPCContext) async -> Result<JSONValue, RPCError>)
    /// The same, producing an already-encoded result (results the handler caches).
    case deferredEncoded(@Sendable (RPCContext) async -> Result<JSONText, RPCError>)
}

/// The method table behind a server. Knows nothing about framing or transports.
public protocol RPCHandler: Sendable {
    func handle(_ request: RPCRequest, context: RPCContext) -> RPCOutcome
    /// The client of connection `connectionID` will send nothing more (it closed its side, or went away): its
    /// running requests still answer if they can.
    func inputEnded(connectionID: Int)
}

extension RPCHandler {
    public func inputEnded(connectionID: Int) {}
}

/// What a handler may do besides answering: send notifications, and stop the server.
public struct RPCContext: Sendable {
    public let connectionID: Int
    public let requestID: RPCID?
    let notifySink: @Sendable (String, JSONValue) -> Void
    let notifyEncodedSink: (@Sendable (String, JSONText) -> Void)?
    let stopServer: @Sendable (Int32) -> Void
    let inputEndedQuery: @Sendable () -> Bool
    let requestSink: @Sendable (String, JSONValue?) async -> Result<JSONValue, RPCError>

    public init(
        connectionID: Int, requestID: RPCID?, notify: @escaping @Sendable (String, JSONValue) -> Void,
        notifyEncoded: (@Sendable (String, JSONText) -> Void)? = nil,
        stop: @escaping @Sendable (Int32) -> Void, inputEnded: @escaping @Sendable () -> Bool = { false },
        request: @escaping @Sendable (String, JSONValue?) async -> Result<JSONValue, RPCError> = { _, _ in
            .failure(RPCError(code: RPCErrorCode.internalError, message: "This connection takes no requests from the server."))
        }
    ) {
        self.connectionID = connectionID
        self.requestID = requestID
        self.notifySink = notify
        self.notifyEncodedSink = notifyEncoded
        self.stopServer = stop
        self.inputEndedQuery = inputEnded
        self.requestSink = request
    }

    /// Sends a request to this request's client (LSP's `client/registerCapability`, `workspace/inlayHint/refresh`…)
    /// and waits for its answer.
    public func request(_ method: String, _ params: JSONValue? = nil) async -> Result<JSONValue, RPCError> {
        await requestSink(method, params)
    }

    /// Whether this request's client will send nothing more (set before the handler's `inputEnded` is called).
    public var clientInputEnded: Bool { inputEndedQuery() }

    /// Sends a notification to this request's client.
    public func notify(_ method: String, _ params: JSONValue) { notifySink(method, params) }

    /// Sends a notification whose params are already encoded (a large one built with `JSONText.inRegion`).
    public func notify(_ method: String, encoded params: JSONText) {
        if let notifyEncodedSink {
            notifyEncodedSink(method, params)
        } else if let value = try? JSONValue.parse(params.bytes) {
            notifySink(method, value)
        }
    }

    /// Sends `$/progress` with `{"id": <this request's id>, "value": value}`.
    public func progress(_ value: JSONValue) {
        guard let requestID else { return }
        notify("$/progress", ["id": requestID.json, "value": value])
    }

    /// Stops the service (after the `exit` notification): on stdio the process exits with `code`; on a socket this
    /// client's connection ends and the service goes on serving the others.
    public func stopService(exitCode code: Int32) { stopServer(code) }
}
