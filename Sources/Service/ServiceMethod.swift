import JSONRPC

/// One JSON-RPC method of the service: its name, the named params it takes, the notifications it sends while
/// it runs, and its handler. The service's table of these drives dispatch, the method list `initialize`
/// advertises, and the protocol contract test.
struct ServiceMethod: Sendable {
    typealias Handler = @Sendable (EstibaService, Params) throws(RPCError) -> RPCOutcome

    let name: String
    /// Every param name it accepts; any other is refused with -32602 naming it.
    let params: Set<String>
    /// Accepts params it does not know (`initialize`, which editors send their own options to).
    let acceptsUnknownParams: Bool
    /// Notifications sent to the caller while the request runs.
    let notifications: [String]
    let handler: Handler

    init(
        _ name: String, params: Set<String> = [], acceptsUnknownParams: Bool = false, notifications: [String] = [],
        handler: @escaping Handler
    ) {
        self.name = name
        self.params = params
        self.acceptsUnknownParams = acceptsUnknownParams
        self.notifications = notifications
        self.handler = handler
    }
}

/// The service's methods, in the order `initialize` lists them, and looked up by name.
struct MethodTable: Sendable {
    let methods: [ServiceMethod]
    private let byName: [String: ServiceMethod]

    init(_ groups: [[ServiceMethod]]) {
        methods = groups.flatMap { $0 }
        byName = Dictionary(methods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    subscript(name: String) -> ServiceMethod? { byName[name] }

    /// Every notification some method sends, in first-use order.
    var notifications: [String] {
        var seen: Set<String> = []
        return methods.flatMap(\.notifications).filter { seen.insert($0).inserted }
    }
}
