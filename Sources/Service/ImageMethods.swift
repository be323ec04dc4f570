import Engine
import EstibaJSON
import ImageStore
import JSONRPC

extension EstibaService {
    /// The image methods: all do I/O, so all run as cancellable tasks.
    func imageMethod(_ request: RPCRequest) throws(RPCError) -> RPCOutcome {
        let engine = self.engine
        let root = engine.configuration.root
        switch request.method {
        case "import":
            let p = try Params(request, allowed: ["source", "reference", "changes", "message"])
            let source = try p.requiredString("source")
            let reference = try p.string("reference")
            let changes = try p.strings("changes") ?? []
            let message = try p.string("message")
            return run { () async throws(EngineError) -> JSONValue in
                let image = try await engine.importImage(source: source, reference: reference, changes: changes, message: message)
                return ImageEncoding.inspect(image, root: root)
            }
        case "images":
            _ = try Params(request, allowed: [])
            return .deferredEncoded { [self] _ in
                do throws(EngineError) {
                    let generation = try await engine.imagesGeneration()
                    if let hit = imagesCache.withLock({ $0 }), hit.generation == generation, !generation.isEmpty { return .success(hit.text) }
                    let text = JSONText(["images": .array(try await engine.images().map(ImageEncoding.summary))])
                    imagesCache.withLock { $0 = (generation, text) }
                    return .success(text)
                } catch {
                    return .failure(error.rpcError)
                }
            }
        case "inspect":
            let p = try Params(request, allowed: ["image"])
            let image = try p.reference("image", "image")
            return run { () async throws(EngineError) -> JSONValue in
                ImageEncoding.inspect(try await engine.inspectImage(image), root: root)
            }
        case "history":
            let p = try Params(request, allowed: ["image"])
            let image = try p.reference("image", "image")
            return run { () async throws(EngineError) -> JSONValue in
                let tags = try await engine.inspectImage(image).references.map(\.description)
                return ["history": .array(try await engine.history(image).map { ImageEncoding.historyRow($0, tags: tags) })]
            }
        case "tag":
            let p = try Params(request, allowed: ["source", "target"])
            let source = try p.reference("source", "image")
            let target = try p.requiredString("target")
            return run { () async throws(EngineError) -> JSONValue in
                let image = try await engine.tag(source: source, target: target)
                return ["Id": .string(image.id.description), "RepoTags": JSONValue(image.references.map(\.description))]
            }
        case "rmi":
            let p = try Params(request, allowed: ["images", "force"])
            let images = try p.references("images", "image")
            let force = try p.bool("force") ?? false
            return run { () async throws(EngineError) -> JSONValue in
                ["events": .array(try await engine.removeImages(images, force: force).map(ImageEncoding.removal))]
            }
        case "save":
            let p = try Params(request, allowed: ["images", "path", "format"])
            let images = try p.references("images", "image")
            let path = try p.requiredString("path")
            let formatName = try p.string("format") ?? ArchiveFormat.dockerArchive.rawValue
            guard let format = ArchiveFormat(rawValue: formatName) else {
                throw RPCErrorCode.invalidParams("\"format\" must be one of \(ArchiveFormat.allCases.map(\.rawValue).joined(separator: ", "))", param: "format")
            }
            return run { () async throws(EngineError) -> JSONValue in
                let saved = try await engine.save(images, to: path, format: format)
                return ["path": .string(path), "format": .string(format.rawValue), "images": JSONValue(saved.map(\.id.description))]
            }
        case "load":
            let p = try Params(request, allowed: ["path"])
            let path = try p.requiredString("path")
            return run { () async throws(EngineError) -> JSONValue in
                let loaded = try await engine.load(from: path)
                return [
                    "images": .array(loaded.map { l in
                        ["Id": .string(l.image.id.description), "RepoTags": JSONValue(l.references.map(\.description))]
                    })
                ]
            }
        case "verify":
            _ = try Params(request, allowed: [])
            return run { () async throws(EngineError) -> JSONValue in
                let r = try await engine.verifyStore()
                return ["blobsChecked": .int(Int64(r.blobsChecked)), "problems": JSONValue(r.problems)]
            }
        default:  // prune
            _ = try Params(request, allowed: [])
            return run { () async throws(EngineError) -> JSONValue in
                let r = try await engine.pruneStore()
                return ["blobs": .int(Int64(r.blobs)), "snapshots": .int(Int64(r.snapshots)), "bytes": .int(r.bytes)]
            }
        }
    }

    /// Runs engine work as a task; engine errors become their JSON-RPC errors.
    func run(_ work: @escaping @Sendable () async throws(EngineError) -> JSONValue) -> RPCOutcome {
        .deferred { _ in
            do throws(EngineError) {
                let value = try await work()
                if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                return .success(value)
            } catch {
                return .failure(error.rpcError)
            }
        }
    }
}
