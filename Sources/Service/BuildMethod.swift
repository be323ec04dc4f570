import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// `build`: runs the build as a cancellable task, streaming `build/progress` notifications to the caller.
    static let buildMethod = ServiceMethod(
        "build",
        params: ["context", "dockerfile", "text", "tags", "buildArgs", "target", "labels", "noCache", "network", "dryRun", "progress"],
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
            guard let mode = NetworkMode(rawValue: n == "default" ? "none" : n) else {
                throw RPCError(code: RPCErrorCode.invalidParams, message: "Invalid params: network must be \"none\" or \"host\".", data: ["param": "network"])
            }
            options.network = mode
        }
        let tags = try p.strings("tags") ?? []
        let wantsProgress = try p.bool("progress") ?? true
        let engine = service.engine
        let built = options
        return .deferred { ctx in
            let requestID = ctx.requestID?.json ?? .null
            var handler: BuildEventHandler?
            if wantsProgress {
                handler = { event in ctx.notify("build/progress", BuildEncoding.event(event, id: requestID)) }
            }
            do throws(EstibaError) {
                let result = try await engine.build(built, tags: tags, onEvent: handler)
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(BuildEncoding.result(result))
            } catch {
                return .failure(error.rpcError)
            }
        }
    }
}
