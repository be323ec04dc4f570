import CLIOutput
import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// The image methods: all do I/O, so all run as cancellable tasks.
    static let imageMethods: [ServiceMethod] = [
        ServiceMethod("import", params: ["source", "reference", "changes", "message"]) { service, p throws(RPCError) in
            let source = try p.requiredString("source")
            let reference = try p.string("reference")
            let changes = try p.strings("changes") ?? []
            let message = try p.string("message")
            return task { () async throws(EstibaError) -> JSONValue in
                let image = try await service.engine.importImage(source: source, reference: reference, changes: changes, message: message)
                return DockerJSON.inspect(service.engine.details(of: image))
            }
        },
        ServiceMethod("images", params: []) { service, _ throws(RPCError) in
            .deferredEncoded { _ in
                do throws(EstibaError) {
                    let generation = try await service.engine.imagesGeneration()
                    if let hit = service.imagesCache.withLock({ $0 }), hit.generation == generation, !generation.isEmpty { return .success(hit.text) }
                    let text = JSONText(["images": .array(try await service.engine.images().map(DockerJSON.summary))])
                    service.imagesCache.withLock { $0 = (generation, text) }
                    return .success(text)
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("inspect", params: ["image"]) { service, p throws(RPCError) in
            let image = try p.reference("image", "image")
            return task { () async throws(EstibaError) -> JSONValue in
                DockerJSON.inspect(try await service.engine.imageDetails(image))
            }
        },
        ServiceMethod("history", params: ["image"]) { service, p throws(RPCError) in
            let image = try p.reference("image", "image")
            return task { () async throws(EstibaError) -> JSONValue in
                let tags = try await service.engine.inspectImage(image).references.map(\.description)
                return ["history": .array(try await service.engine.history(image).map { DockerJSON.historyRow($0, tags: tags) })]
            }
        },
        ServiceMethod("tag", params: ["source", "target"]) { service, p throws(RPCError) in
            let source = try p.reference("source", "image")
            let target = try p.requiredString("target")
            return task { () async throws(EstibaError) -> JSONValue in
                let image = try await service.engine.tag(source: source, target: target)
                return ["Id": .string(image.id.description), "RepoTags": JSONValue(image.references.map(\.description))]
            }
        },
        ServiceMethod("rmi", params: ["images", "force"]) { service, p throws(RPCError) in
            let images = try p.references("images", "image")
            let force = try p.bool("force") ?? false
            return task { () async throws(EstibaError) -> JSONValue in
                ["events": .array(try await service.engine.removeImages(images, force: force).map(DockerJSON.removal))]
            }
        },
        ServiceMethod("save", params: ["images", "path", "format"]) { service, p throws(RPCError) in
            let images = try p.references("images", "image")
            let path = try p.requiredString("path")
            let formatName = try p.string("format") ?? ArchiveFormat.dockerArchive.rawValue
            guard let format = ArchiveFormat(rawValue: formatName) else {
                throw RPCErrorCode.invalidParams("\"format\" must be one of \(ArchiveFormat.allCases.map(\.rawValue).joined(separator: ", "))", param: "format")
            }
            return task { () async throws(EstibaError) -> JSONValue in
                let saved = try await service.engine.save(images, to: path, format: format)
                return ["path": .string(path), "format": .string(format.rawValue), "images": JSONValue(saved.map(\.id.description))]
            }
        },
        ServiceMethod("load", params: ["path"]) { service, p throws(RPCError) in
            let path = try p.requiredString("path")
            return task { () async throws(EstibaError) -> JSONValue in
                let loaded = try await service.engine.load(from: path)
                return [
                    "images": .array(loaded.map { l in
                        ["Id": .string(l.image.id.description), "RepoTags": JSONValue(l.references.map(\.description))]
                    })
                ]
            }
        },
        ServiceMethod("verify", params: []) { service, _ throws(RPCError) in
            task { () async throws(EstibaError) -> JSONValue in
                let r = try await service.engine.verifyStore()
                return ["blobsChecked": .int(Int64(r.blobsChecked)), "problems": JSONValue(r.problems)]
            }
        },
        ServiceMethod("prune", params: ["all"]) { service, p throws(RPCError) in
            let all = try p.bool("all") ?? false
            return task { () async throws(EstibaError) -> JSONValue in
                let r = try await service.engine.pruneSystem(all: all)
                let collected = r.buildCache.collected
                return [
                    "blobs": .int(Int64(r.store.blobs + collected.blobs)), "snapshots": .int(Int64(r.store.snapshots + collected.snapshots)),
                    "bytes": .int(r.bytes), "buildCache": buildCachePruned(r.buildCache),
                ]
            }
        },
        ServiceMethod("builderPrune", params: ["all", "until"]) { service, p throws(RPCError) in
            let all = try p.bool("all") ?? false
            var age: Duration?
            if let until = try p.string("until") {
                do throws(EstibaError) { age = try Engine.pruneAge(until) } catch { throw RPCErrorCode.invalidParams(error.message, param: "until") }
            }
            return task { [age] () async throws(EstibaError) -> JSONValue in
                buildCachePruned(try await service.engine.pruneBuildCache(all: all, until: age))
            }
        },
    ]

    /// A build cache prune as Docker's API reports it: the removed steps' IDs and the bytes reclaimed.
    static func buildCachePruned(_ r: BuildCachePruneReport) -> JSONValue {
        ["CachesDeleted": JSONValue(r.removed.map(\.id.hex)), "SpaceReclaimed": .int(r.collected.bytes)]
    }
}
