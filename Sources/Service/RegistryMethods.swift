import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// Registry methods. `pull` and `push` run as cancellable tasks, sending `pull/progress` and `push/progress`
    /// notifications to the caller; `login` checks credentials with the registry before keeping them.
    static let registryMethods: [ServiceMethod] = [
        ServiceMethod("pull", params: ["reference", "platform", "progress", "allTags"], notifications: ["pull/progress"]) { service, p throws(RPCError) in
            let reference = try p.requiredString("reference")
            let platform = try p.string("platform")
            let wantsProgress = try p.bool("progress") ?? true
            let allTags = try p.bool("allTags") ?? false
            let engine = service.engine
            return .deferred { ctx in
                let requestID = ctx.requestID?.json ?? .null
                let handler: PullEventHandler = { event in
                    if wantsProgress { ctx.notify("pull/progress", PullEncoding.event(event, id: requestID)) }
                }
                do throws(EstibaError) {
                    if allTags {
                        let results = try await engine.pullAllTags(reference, platform: platform, onEvent: handler)
                        if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                        return .success(PullEncoding.allTags(results))
                    }
                    let result = try await engine.pull(reference, platform: platform, onEvent: handler)
                    if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                    return .success(PullEncoding.result(result))
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("push", params: ["reference", "compression", "progress"], notifications: ["push/progress"]) { service, p throws(RPCError) in
            let reference = try p.requiredString("reference")
            let compression = try p.string("compression")
            let wantsProgress = try p.bool("progress") ?? true
            let engine = service.engine
            return .deferred { ctx in
                let requestID = ctx.requestID?.json ?? .null
                let handler: PushEventHandler = { event in
                    if wantsProgress { ctx.notify("push/progress", PushEncoding.event(event, id: requestID)) }
                }
                do throws(EstibaError) {
                    let result = try await engine.push(reference, compression: compression, onEvent: handler)
                    if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                    return .success(PushEncoding.result(result))
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("login", params: ["server", "username", "password"]) { service, p throws(RPCError) in
            let server = try p.string("server")
            let username = try p.requiredString("username")
            let password = try p.requiredString("password")
            let engine = service.engine
            return .deferred { _ in
                do throws(EstibaError) {
                    let result = try await engine.login(server: server, username: username, password: password)
                    return .success(["Status": "Login Succeeded", "Server": .string(result.server)])
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("logout", params: ["server"]) { service, p throws(RPCError) in
            let server = try p.string("server")
            let engine = service.engine
            return .deferred { _ in
                do throws(EstibaError) {
                    let result = try await engine.logout(server: server)
                    return .success(["Server": .string(result.server), "Removed": .bool(result.removed)])
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
    ]
}

/// The JSON of `push`'s result and of its `push/progress` notifications.
enum PushEncoding {
    static func event(_ event: PushEvent, id: JSONValue) -> JSONValue {
        switch event {
        case .repository(let name):
            return ["id": id, "event": "repository", "repository": .string(name)]
        case .layer(let layer, let status):
            var o: JSONObject = ["id": id, "event": "layer", "layer": .string(layer.description), "status": .string(status.name)]
            switch status {
            case .pushing(let bytes, let total):
                o.append("current", .int(bytes))
                o.append("total", .int(total))
            case .mounted(let from):
                o.append("from", .string(from))
            default: break
            }
            return .object(o)
        }
    }

    static func result(_ r: PushResult) -> JSONValue {
        [
            "Reference": .string(r.reference.name + ":" + (r.reference.tag ?? "latest")), "Tag": .string(r.reference.tag ?? "latest"),
            "Digest": .string(r.digest.description), "Size": .int(r.size), "Id": .string(r.imageID.description),
            "Layers": .array(r.layers.map { ["MediaType": .string($0.mediaType), "Digest": .string($0.digest.description), "Size": .int($0.size)] }),
        ]
    }
}

/// The JSON of `pull`'s result and of its `pull/progress` notifications.
enum PullEncoding {
    static func event(_ event: PullEvent, id: JSONValue) -> JSONValue {
        switch event {
        case .resolving(let tagOrDigest, let repository):
            return ["id": id, "event": "resolved", "tagOrDigest": .string(tagOrDigest), "repository": .string(repository)]
        case .layer(let layer, let status):
            var o: JSONObject = ["id": id, "event": "layer", "layer": .string(layer.description), "status": .string(status.name)]
            if case .downloading(let bytes, let total) = status {
                o.append("current", .int(bytes))
                o.append("total", .int(total))
            }
            return .object(o)
        }
    }

    static func result(_ r: PullResult) -> JSONValue {
        let name = r.reference.name + (r.reference.digest.map { "@" + $0.description } ?? r.reference.tag.map { ":" + $0 } ?? "")
        return [
            "Id": .string(r.image.id.description), "Reference": .string(name), "Digest": .string(r.digest.description),
            "RepoTags": JSONValue(r.reference.localReference.map { [$0.description] } ?? []),
            "RepoDigests": JSONValue(r.image.repoDigests.map(\.description)),
            "Status": .string(r.downloaded ? "downloaded" : "up-to-date"),
        ]
    }

    /// Every tag's result (`allTags`), in tag order.
    static func allTags(_ results: [PullResult]) -> JSONValue {
        ["Images": .array(results.map(result)), "Status": .string(results.contains(where: \.downloaded) ? "downloaded" : "up-to-date")]
    }
}
