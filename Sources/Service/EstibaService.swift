import Engine
import EstibaJSON
import JSONRPC
import Synchronization
import System

/// The JSON-RPC service: looks each request up in the method table, decodes its params strictly, and lets the
/// method's handler call the Engine and encode the result.
public final class EstibaService: RPCHandler {
    public static let protocolVersion = "1.0"

    /// Every method, in the order `initialize` lists them (`$/cancelRequest` is the transport's).
    static let table = MethodTable([
        lifecycleMethods, [parseMethod, buildMethod], imageMethods, registryMethods, containerMethods, volumeMethods, networkMethods, sessionMethods,
        documentMethods, languageMethods, buildCommandMethods,
    ])

    /// The names of the methods the service answers (besides `$/cancelRequest`, handled by the transport).
    public static var methods: [String] { table.methods.map(\.name) }
    /// The notifications methods send to their callers.
    public static var notifications: [String] { table.notifications }

    let engine: Engine
    /// The connections whose client sent `shutdown`.
    let shutDown = ShutDownConnections()
    /// What a user whose store is out of reach is told besides (how to reach a service that has one).
    let storeAdvice: String?
    /// The encoded `images` result for a store generation (it only changes when images or tags do).
    let imagesCache = Mutex<(generation: [Int], text: JSONText)?>(nil)
    /// Interactive containers started by this service's clients.
    let sessions = InteractiveSessions()
    /// The documents editors have open (the language server's).
    let documents = OpenDocuments()
    /// The build settings editors gave (the language server's).
    let languageSettings = LanguageSettingsTable()

    public init(engine: Engine, storeAdvice: String? = nil) {
        self.engine = engine
        self.storeAdvice = storeAdvice
    }

    public func handle(_ request: RPCRequest, context: RPCContext) -> RPCOutcome {
        if shutDown.contains(context.connectionID), request.method != "exit" {
            return .done(
                .failure(
                    RPCError(
                        code: RPCErrorCode.shuttingDown,
                        message: "The service is shutting down; send exit, then start it again.")))
        }
        guard let method = Self.table[request.method] else {
            return .done(.failure(RPCErrorCode.methodNotFound(request.method)))
        }
        do throws(RPCError) {
            let params = try Params(request, allowed: method.params, allowUnknown: method.acceptsUnknownParams, context: context)
            return try method.handler(self, params)
        } catch {
            return .done(.failure(error))
        }
    }

    /// Runs engine work as a task; engine errors become their JSON-RPC errors.
    static func task(_ work: @escaping @Sendable () async throws(EstibaError) -> JSONValue) -> RPCOutcome {
        .deferred { _ in
            do throws(EstibaError) {
                let value = try await work()
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(value)
            } catch {
                return .failure(error.rpcError)
            }
        }
    }
}

/// The connections whose client sent `shutdown`: they get nothing but `exit` from then on. Read by every request,
/// so a count answers without the lock while no client has shut down.
final class ShutDownConnections: Sendable {
    private let count = Atomic<Int>(0)
    private let ids = Mutex<Set<Int>>([])

    func mark(_ connection: Int) {
        if ids.withLock({ $0.insert(connection).inserted }) { count.add(1, ordering: .releasing) }
    }

    func contains(_ connection: Int) -> Bool {
        count.load(ordering: .acquiring) > 0 && ids.withLock { $0.contains(connection) }
    }

    /// Forgets a connection that ended.
    func remove(_ connection: Int) {
        if ids.withLock({ $0.remove(connection) != nil }) { count.subtract(1, ordering: .releasing) }
    }
}
