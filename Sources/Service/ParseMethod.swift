import CLIOutput
import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// Texts up to this size are parsed inline on the connection's reader thread (they take microseconds).
    static let inlineParseLimit = 16 << 10

    /// `parse`: a Dockerfile (text or path) to its AST, stages, directives and diagnostics.
    static let parseMethod = ServiceMethod("parse", params: ["text", "path", "progress"], notifications: ["$/progress"]) {
        service, p throws(RPCError) in
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
        let engine = service.engine
        if case .text(let t) = source, t.utf8.count <= inlineParseLimit, !wantsProgress {
            do throws(EstibaError) {
                return .doneEncoded(ParseEncoding.encode(try engine.parseNow(source)))
            } catch {
                return .done(.failure(error.rpcError))
            }
        }
        return .deferredEncoded { ctx in
            let progress: ProgressHandler? = wantsProgress ? progressForwarder(ctx) : nil
            do throws(EstibaError) {
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
