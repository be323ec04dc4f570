import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// `build`: runs the build as a cancellable task, streaming `build/progress` notifications to the caller.
    static let buildMethod = ServiceMethod(
        "build",
        params: ["context", "dockerfile", "text", "tags", "buildArgs", "target", "labels", "noCache", "network", "dryRun", "progress", "pull"],
        notifications: ["build/progress"]
    ) { service, p throws(RPCError) in
        var options = BuildOptions(contextDirectory: try p.requiredString("context"))
        options.dockerfilePath = try p.string("dockerfile")
        options.dockerfileText = try p.string("text")
        if options.dockerfilePath != nil && options.dockerfileText != nil {
            throw RPCErrorCode.invalidParams("build takes \"dockerfile\" (a path) or \"text\" (the Dockerfile), not both")
        }
        options.buildArgs = try p.stringMap("buildArgs") ?? [:]
        options.target = try p.string("target")
        options.labels = try p.stringMap("labels") ?? [:]
        options.noCache = try p.bool("noCache") ?? false
        options.dryRun = try p.bool("dryRun") ?? false
        if let n = try p.string("network") {
            guard let mode = NetworkMode(rawValue: n == "default" ? "bridge" : n) else {
                throw RPCError(code: RPCErrorCode.invalidParams, message: "Invalid params: network must be \"default\", \"none\" or \"host\".", data: ["param": "network"])
            }
            options.network = mode
        }
        if let policy = try p.value("pull", "\"missing\", \"always\", \"never\" or a boolean") {
            switch policy {
            case .bool(let always): options.pull = always ? .always : .missing
            case .string(let text) where PullPolicy(rawValue: text) != nil: options.pull = PullPolicy(rawValue: text) ?? .missing
            default: throw RPCErrorCode.invalidParams("\"pull\" must be \"missing\", \"always\", \"never\" or a boolean (true: always)", param: "pull")
            }
        }
        let tags = try p.strings("tags") ?? []
        let wantsProgress = try p.bool("progress") ?? true
        let engine = service.engine
        let built = options
        return .deferred { ctx in
            let requestID = ctx.requestID?.json ?? .null
            var handler: BuildEventHandler?
            var pullHandler: (@Sendable (Int, ImagePullEvent) -> Void)?
            if wantsProgress {
                handler = { event in ctx.notify("build/progress", BuildEncoding.event(event, id: requestID)) }
                pullHandler = { step, event in
                    if let e = BuildEncoding.pull(event, step: step, id: requestID) { ctx.notify("build/progress", e) }
                }
            }
            do throws(EstibaError) {
                let result = try await engine.build(built, tags: tags, onEvent: handler, onPull: pullHandler)
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(BuildEncoding.result(result))
            } catch {
                return .failure(error.rpcError)
            }
        }
    }
}
