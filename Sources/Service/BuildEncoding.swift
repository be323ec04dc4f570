import Engine
import EstibaJSON
import System

/// `build` results and `build/progress` notifications as JSON.
enum BuildEncoding {
    static func step(_ r: BuildStepReport) -> JSONValue {
        [
            "step": .int(Int64(r.step)), "total": .int(Int64(r.total)), "stage": .int(Int64(r.stage)),
            "instruction": .string(r.instruction), "line": .int(Int64(r.line)), "cached": r.cached.map(JSONValue.bool) ?? .null,
            "reason": r.reason.map(JSONValue.string) ?? .null, "imageId": r.imageID.map { .string($0.description) } ?? .null,
            "layerSize": .int(r.layerSize), "duration": .double(r.durationSeconds),
            "createdBy": r.createdBy.map(JSONValue.string) ?? .null,
        ]
    }

    static func result(_ result: BuildResult) -> JSONValue {
        [
            "Id": result.image.map { .string($0.id.description) } ?? .null,
            "RepoTags": JSONValue((result.image?.references ?? []).map(\.description)),
            "dryRun": .bool(result.dryRun),
            "steps": .array(result.steps.map(step)),
            "warnings": JSONValue(result.warnings),
        ]
    }

    static func event(_ event: BuildEvent, id: JSONValue) -> JSONValue {
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
            if case .object(let fields) = step(r) { for (k, v) in fields { o.append(k, v) } }
            return .object(o)
        case .warning(let text):
            return ["id": id, "event": "warning", "message": .string(text)]
        }
    }

    /// A pull under a build step (`FROM`, `COPY --from`): event `pull`, with the pull's own `pull/progress` params
    /// in `pull`.
    static func pull(_ event: ImagePullEvent, step: Int, id: JSONValue) -> JSONValue? {
        guard case .progress(let e) = event else { return nil }
        return ["id": id, "event": "pull", "step": .int(Int64(step)), "pull": PullEncoding.event(e, id: id)]
    }
}
