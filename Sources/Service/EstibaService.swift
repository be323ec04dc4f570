import Dockerfile
import Engine
import EstibaJSON
import JSONRPC
import Synchronization

/// The JSON-RPC method table: decodes params, calls the Engine, encodes results.
public final class EstibaService: RPCHandler {
    public static let protocolVersion = "1.0"

    /// Every method the service answers (besides `$/cancelRequest`, handled by the transport).
    public static let methods = [
        "initialize", "shutdown", "exit", "parse", "build", "import", "images", "inspect", "history", "tag", "rmi", "save", "load",
        "verify", "prune", "run", "exec", "start", "ps", "rm", "volumes", "volumeCreate", "volumeRemove", "commit", "stop", "kill", "wait", "logs", "input", "resize",
    ]
    public static let notifications = ["$/progress", "container/output", "container/started", "container/exit", "build/progress"]

    /// Texts up to this size are parsed inline on the connection's reader thread (they take microseconds).
    static let inlineParseLimit = 16 << 10

    let engine: Engine
    /// Read by every request, so an atomic rather than a lock the reader threads would contend for.
    private let shuttingDown = Atomic<Bool>(false)
    /// The encoded `images` result for a store generation (it only changes when images or tags do).
    let imagesCache = Mutex<(generation: [Int], text: JSONText)?>(nil)
    /// Interactive containers started by this service's clients.
    let sessions = InteractiveSessions()

    public init(engine: Engine) {
        self.engine = engine
    }

    public func handle(_ request: RPCRequest, context: RPCContext) -> RPCOutcome {
        if shuttingDown.load(ordering: .acquiring), request.method != "exit" {
            return .done(
                .failure(
                    RPCError(
                        code: RPCErrorCode.shuttingDown,
                        message: "The service is shutting down; send exit, then start it again.")))
        }
        do throws(RPCError) {
            switch request.method {
            case "initialize":
                _ = try Params(request, allowed: [], allowUnknown: true)
                return .doneEncoded(Self.initializeText)
            case "shutdown":
                _ = try Params(request, allowed: [])
                shuttingDown.store(true, ordering: .releasing)
                return .done(.success(.null))
            case "exit":
                _ = try Params(request, allowed: [])
                let clean = shuttingDown.load(ordering: .acquiring)
                context.stopService(exitCode: clean ? 0 : 1)
                return .done(.success(.null))
            case "parse":
                return try parse(request)
            case "build":
                return try build(request)
            case "import", "images", "inspect", "history", "tag", "rmi", "save", "load", "verify", "prune":
                return try imageMethod(request)
            case "run", "exec", "start", "ps", "rm", "volumes", "volumeCreate", "volumeRemove", "commit", "stop", "kill", "wait", "logs":
                return try containerMethod(request)
            case "input", "resize":
                return try sessionMethod(request)
            default:
                return .done(.failure(RPCErrorCode.methodNotFound(request.method)))
            }
        } catch {
            return .done(.failure(error))
        }
    }

    /// Constant for the life of the process, so encoded once.
    static let initializeText = JSONText(initializeResult)

    static let initializeResult: JSONValue = [
            "name": .string(Engine.name), "version": .string(Engine.version),
            "protocolVersion": .string(EstibaService.protocolVersion),
            "methods": JSONValue(EstibaService.methods + ["$/cancelRequest"]),
            "notifications": JSONValue(EstibaService.notifications),
            "capabilities": [
                "framing": ["content-length", "newline"],
                "maxMessageSize": .int(64 << 20),
                "concurrentRequests": true,
                "cancellation": true,
            ],
        ]

    func parse(_ request: RPCRequest) throws(RPCError) -> RPCOutcome {
        let p = try Params(request, allowed: ["text", "path", "progress"])
        let text = try p.string("text")
        let path = try p.string("path")
        let wantsProgress = try p.bool("progress") ?? false
        let source: DockerfileSource
        switch (text, path) {
        case (let t?, nil): source = .text(t)
        case (nil, let f?): source = .path(f)
        default:
            throw RPCErrorCode.invalidParams("parse takes exactly one of \"text\" (the Dockerfile) or \"path\" (a file)")
        }
        let engine = self.engine
        if case .text(let t) = source, t.utf8.count <= Self.inlineParseLimit, !wantsProgress {
            do throws(EngineError) {
                return .doneEncoded(ParseEncoding.encode(try engine.parseNow(source)))
            } catch {
                return .done(.failure(error.rpcError))
            }
        }
        return .deferredEncoded { ctx in
            let progress: ProgressHandler? = wantsProgress ? Self.progressForwarder(ctx) : nil
            do throws(EngineError) {
                let report = try await engine.parse(source, progress: progress)
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(await ParseEncoding.encodeConcurrently(report))
            } catch {
                return .failure(error.rpcError)
            }
        }
    }

    /// Forwards engine progress to the client as `$/progress` notifications.
    static func progressForwarder(_ ctx: RPCContext) -> ProgressHandler {
        { e in
            let value: JSONValue = [
                "stage": .string(e.stage), "message": .string(e.message),
                "completed": .int(Int64(e.completed)), "total": .int(Int64(e.total)),
            ]
            ctx.progress(value)
        }
    }
}
