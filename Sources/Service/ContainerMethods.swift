import CLIOutput
import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// Containers: run (streamed, or detached/created), exec, start, ps, rm, commit, stop, kill, wait, logs.
    static let containerMethods: [ServiceMethod] = [
        ServiceMethod(
            "run",
            params: [
                "image", "command", "entrypoint", "env", "workdir", "user", "name", "hostname", "network", "rm", "readOnly",
                "runtime", "detach", "interactive", "tty", "volumes", "memory", "pidsLimit", "cpus", "createOnly", "labels",
                "devices", "securityOpt", "consoleSize", "pull", "publish", "publishAll", "networkAliases", "extraHosts", "dns",
                "dnsSearch", "dnsOptions",
            ],
            notifications: ["pull/progress", "container/started", "container/output", "container/exit"]
        ) { service, p throws(RPCError) in
            var o = RunOptions(image: try p.reference("image", "image"))
            o.command = try p.strings("command") ?? []
            o.entrypoint = try p.strings("entrypoint")
            o.environment = try p.strings("env") ?? []
            o.workingDirectory = try p.string("workdir")
            o.user = try p.string("user")
            if let user = o.user { try checkUser(user) }
            o.name = try p.string("name")
            o.hostname = try p.string("hostname")
            if let n = try p.string("network") {
                guard !n.isEmpty else { throw RPCErrorCode.invalidParams("\"network\" must be \"bridge\", \"none\", \"host\" or a network's name", param: "network") }
                o.network = n == "default" ? "bridge" : n
            }
            o.publish = try p.strings("publish") ?? []
            o.publishAll = try p.bool("publishAll") ?? false
            o.networkAliases = try p.strings("networkAliases") ?? []
            o.extraHosts = try p.strings("extraHosts") ?? []
            o.dns = try p.strings("dns") ?? []
            o.dnsSearch = try p.strings("dnsSearch") ?? []
            o.dnsOptions = try p.strings("dnsOptions") ?? []
            o.remove = try p.bool("rm") ?? false
            o.readOnly = try p.bool("readOnly") ?? false
            if let r = try p.string("runtime") {
                guard let rt = ContainerRuntime(rawValue: r) else { throw RPCErrorCode.invalidParams("\"runtime\" must be \"estiba\" or \"runc\"", param: "runtime") }
                o.runtime = rt
            }
            o.detach = try p.bool("detach") ?? false
            o.createOnly = try p.bool("createOnly") ?? false
            o.labels = try p.stringMap("labels") ?? [:]
            o.tty = try p.bool("tty") ?? false
            o.terminalSize = try p.consoleSize("consoleSize", tty: o.tty)
            o.volumes = try p.strings("volumes") ?? []
            o.devices = try p.strings("devices") ?? []
            o.securityOptions = try p.strings("securityOpt") ?? []
            if let m = try p.value("memory", "bytes (an integer) or a size like \"64m\"") {
                let bytes: Int64?
                switch m {
                case .string(let text): bytes = ByteSize.parse(text)
                case .int, .double: bytes = m.intValue
                default: bytes = nil
                }
                guard let bytes, bytes > 0 else {
                    throw RPCErrorCode.invalidParams("\"memory\" must be a positive number of bytes (an integer) or a size like \"64m\"", param: "memory")
                }
                o.limits.memoryBytes = bytes
            }
            o.limits.pids = try p.integer("pidsLimit", in: 1...Int64.max)
            o.limits.cpus = try p.number("cpus")
            do throws(EstibaError) { try Limits.check(o.limits) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: error.context.keys.first ?? "memory")
            }
            if let policy = try p.string("pull") {
                guard let pull = PullPolicy(rawValue: policy) else {
                    throw RPCErrorCode.invalidParams("\"pull\" must be \"missing\", \"always\" or \"never\"", param: "pull")
                }
                o.pull = pull
            }
            let interactive = try p.bool("interactive") ?? false
            if o.detach && (o.tty || interactive) {
                throw RPCErrorCode.invalidParams("detached containers take no terminal or input here; drop \"tty\"/\"interactive\"")
            }
            let options = o
            let sessions = service.sessions
            if options.detach || options.createOnly {
                return .deferred { ctx in
                    do throws(EstibaError) {
                        let r = try await service.engine.run(pullReporting(options, ctx))
                        if Task.isCancelled { return .failure(RPCErrorCode.cancelled()) }
                        return .success(["Id": .string(r.containerID), "Name": .string(r.name), "ExitCode": .null])
                    } catch {
                        return .failure(error.rpcError)
                    }
                }
            }
            return .deferred { ctx in
                do throws(EstibaError) {
                    let process = try await service.engine.runAttached(pullReporting(options, ctx), interactive: interactive)
                    let session = InteractiveSessions.Session(id: process.containerID, name: process.name, tty: options.tty, process: process, connectionID: ctx.connectionID)
                    return .success(await EstibaService.relay(session, interactive: interactive, sessions: sessions, ctx))
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod(
            "exec", params: ["container", "command", "env", "user", "workdir", "interactive", "tty", "consoleSize"],
            notifications: ["container/started", "container/output", "container/exit"]
        ) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            guard let command = try p.strings("command"), !command.isEmpty else {
                throw RPCErrorCode.invalidParams("exec needs \"command\": a non-empty array of strings", param: "command")
            }
            let env = try p.strings("env") ?? []
            let user = try p.string("user")
            if let user { try checkUser(user) }
            let workdir = try p.string("workdir")
            let interactive = try p.bool("interactive") ?? false
            let tty = try p.bool("tty") ?? false
            let consoleSize = try p.consoleSize("consoleSize", tty: tty)
            let sessions = service.sessions
            return .deferred { ctx in
                do throws(EstibaError) {
                    let process = try await service.engine.execAttached(
                        container: container, command: command, environment: env, user: user, workingDirectory: workdir, tty: tty,
                        terminalSize: consoleSize, interactive: interactive)
                    // An exec session is addressed by its own ID (like Docker's exec IDs).
                    let session = InteractiveSessions.Session(id: Engine.newExecID(), name: container, tty: tty, process: process, connectionID: ctx.connectionID)
                    return .success(await EstibaService.relay(session, interactive: interactive, sessions: sessions, ctx))
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("start", params: ["containers"]) { service, p throws(RPCError) in
            let names = try p.references("containers", "container")
            return task { () async throws(EstibaError) -> JSONValue in ["started": JSONValue(try service.engine.start(containers: names))] }
        },
        ServiceMethod("ps", params: ["all"]) { service, p throws(RPCError) in
            let all = try p.bool("all") ?? false
            return task { () async throws(EstibaError) -> JSONValue in
                ["containers": .array(try service.engine.containers(all: all).map(DockerJSON.containerRow))]
            }
        },
        ServiceMethod("rm", params: ["containers", "force"]) { service, p throws(RPCError) in
            let names = try p.references("containers", "container")
            let force = try p.bool("force") ?? false
            return task { () async throws(EstibaError) -> JSONValue in
                ["removed": JSONValue(try service.engine.removeContainers(names, force: force))]
            }
        },
        ServiceMethod("stop", params: ["container", "timeout"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            // In range (refused by name otherwise), then converted with the engine's checked conversion.
            let seconds = try p.integer("timeout", in: 0...Limits.maximumStopTimeout) ?? 10
            let timeout: Int
            do throws(EstibaError) { timeout = try Limits.stopTimeout(seconds) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: "timeout")
            }
            return task { () async throws(EstibaError) -> JSONValue in
                ["ExitCode": .int(Int64(try await service.engine.stop(container: container, timeout: timeout)))]
            }
        },
        ServiceMethod("kill", params: ["container", "signal"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            let number = try p.integer("signal", in: 1...Limits.maximumSignal) ?? Int64(Signal.kill.rawValue)
            let signal: Int32
            do throws(EstibaError) { signal = try Limits.signal(number) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: "signal")
            }
            return task { () async throws(EstibaError) -> JSONValue in
                try service.engine.kill(container: container, signal: signal)
                return ["Signaled": true]
            }
        },
        ServiceMethod("wait", params: ["container"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            return task { () async throws(EstibaError) -> JSONValue in
                ["ExitCode": .int(Int64(try await service.engine.wait(container: container)))]
            }
        },
        ServiceMethod("logs", params: ["container", "follow"], notifications: ["container/output"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            let follow = try p.bool("follow") ?? false
            return .deferred { ctx in
                let collected = ByteCollector()
                do throws(EstibaError) {
                    try await service.engine.logs(container: container, follow: follow) { chunk in
                        if follow {
                            ctx.notify("container/output", ["id": ctx.requestID?.json ?? .null, "stream": "stdout", "data": .string(Base64.encode(chunk[...]))])
                        } else {
                            collected.append(chunk)
                        }
                    }
                } catch {
                    return .failure(error.rpcError)
                }
                return .success(["data": .string(follow ? "" : Base64.encode(collected.bytes[...]))])
            }
        },
        ServiceMethod("commit", params: ["container", "reference", "changes", "message", "author"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            let reference = try p.string("reference")
            let changes = try p.strings("changes") ?? []
            let message = try p.string("message")
            let author = try p.string("author")
            return task { () async throws(EstibaError) -> JSONValue in
                let image = try await service.engine.commit(container: container, reference: reference, changes: changes, message: message, author: author)
                return ["Id": .string(image.id.description), "RepoTags": JSONValue(image.references.map(\.description))]
            }
        },
    ]

    /// The options with the image's pull (if any) reported to the caller as `pull/progress` notifications.
    static func pullReporting(_ options: RunOptions, _ ctx: RPCContext) -> RunOptions {
        var o = options
        let requestID = ctx.requestID?.json ?? .null
        o.onPull = { event in
            if case .progress(let e) = event { ctx.notify("pull/progress", PullEncoding.event(e, id: requestID)) }
        }
        return o
    }

    /// A `user` param in the forms `run -u` takes, or -32602 saying what is wrong with it.
    static func checkUser(_ user: String) throws(RPCError) {
        do throws(EstibaError) { try Limits.checkUser(user) } catch {
            throw RPCErrorCode.invalidParams(error.message, param: "user")
        }
    }

    /// Relays an attached process (a container's first, or an exec): `container/started`, its output as
    /// `container/output` notifications (base64 chunks), then `container/exit` and the result. With `interactive`,
    /// `input` and `resize` reach it through the session while it runs.
    static func relay(
        _ session: InteractiveSessions.Session, interactive: Bool, sessions: InteractiveSessions, _ ctx: RPCContext
    ) async -> JSONValue {
        let requestID = ctx.requestID?.json ?? .null
        if interactive {
            sessions.add(session)
            // A client that already went away drives nothing: its input ended before the session could hear it.
            if ctx.clientInputEnded { session.process.clientLeft() }
        }
        ctx.notify("container/started", ["id": requestID, "container": .string(session.id), "name": .string(session.name)])
        // Every output chunk goes out before the exit notification and the result. A client that goes away (the
        // request is cancelled, or its connection breaks) ends the process's input, as with Docker.
        await withTaskCancellationHandler {
            for await chunk in session.process.output {
                let stream = chunk.source == .stderr ? "stderr" : "stdout"
                ctx.notify("container/output", ["id": requestID, "stream": .string(stream), "data": .string(Base64.encode(chunk.bytes[...]))])
            }
        } onCancel: {
            session.process.clientLeft()
        }
        let code = await session.process.exitCode()
        if interactive { sessions.remove(session.id) }
        ctx.notify("container/exit", ["id": requestID, "container": .string(session.id), "exitCode": .int(Int64(code))])
        return ["Id": .string(session.id), "Name": .string(session.name), "ExitCode": .int(Int64(code))]
    }
}

/// Chunks gathered from a callback.
final class ByteCollector: @unchecked Sendable {
    private let lock = ConditionLock()
    private var storage: [UInt8] = []
    func append(_ chunk: [UInt8]) { lock.withLock { storage += chunk } }
    var bytes: [UInt8] { lock.withLock { storage } }
}
