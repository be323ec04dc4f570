import Builder
import Engine
import EstibaJSON
import ImageStore
import JSONRPC
import Runtime

extension EstibaService {
    /// `build`: runs the build as a cancellable task, streaming `build/progress` notifications to the caller.
    func build(_ request: RPCRequest) throws(RPCError) -> RPCOutcome {
        let p = try Params(
            request,
            allowed: ["context", "dockerfile", "text", "tags", "buildArgs", "target", "labels", "noCache", "network", "dryRun", "progress"])
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
        let engine = self.engine
        let built = options
        return .deferred { ctx in
            let requestID = ctx.requestID?.json ?? .null
            var handler: BuildEventHandler?
            if wantsProgress {
                handler = { event in ctx.notify("build/progress", Self.encode(event, id: requestID)) }
            }
            do throws(EngineError) {
                let result = try await engine.build(built, tags: tags, onEvent: handler)
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(Self.encode(result))
            } catch {
                return .failure(error.rpcError)
            }
        }
    }

    static func encode(_ r: BuildStepReport) -> JSONValue {
        [
            "step": .int(Int64(r.step)), "total": .int(Int64(r.total)), "stage": .int(Int64(r.stage)),
            "instruction": .string(r.instruction), "line": .int(Int64(r.line)), "cached": r.cached.map(JSONValue.bool) ?? .null,
            "reason": r.reason.map(JSONValue.string) ?? .null, "imageId": r.imageID.map { .string($0.description) } ?? .null,
            "layerSize": .int(r.layerSize), "duration": .double(r.durationSeconds),
            "createdBy": r.createdBy.map(JSONValue.string) ?? .null,
        ]
    }

    static func encode(_ result: BuildResult) -> JSONValue {
        [
            "Id": result.image.map { .string($0.id.description) } ?? .null,
            "RepoTags": JSONValue((result.image?.references ?? []).map(\.description)),
            "dryRun": .bool(result.dryRun),
            "steps": .array(result.steps.map(encode)),
            "warnings": JSONValue(result.warnings),
        ]
    }

    static func encode(_ event: BuildEvent, id: JSONValue) -> JSONValue {
        switch event {
        case .stepStarted(let s):
            return [
                "id": id, "event": "step", "step": .int(Int64(s.step)), "total": .int(Int64(s.total)),
                "instruction": .string(s.instruction), "line": .int(Int64(s.line)),
            ]
        case .stepRebuilding(let step, let reason):
            return ["id": id, "event": "rebuilding", "step": .int(Int64(step)), "reason": .string(reason)]
        case .output(let step, let bytes):
            return ["id": id, "event": "output", "step": .int(Int64(step)), "data": .string(Base64.encode(bytes[...]))]
        case .stepFinished(let r):
            var o: JSONObject = ["id": id, "event": "finished"]
            if case .object(let fields) = encode(r) { for (k, v) in fields { o.append(k, v) } }
            return .object(o)
        case .warning(let text):
            return ["id": id, "event": "warning", "message": .string(text)]
        }
    }
}
