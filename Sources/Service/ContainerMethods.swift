import CLIOutput
import Engine
import EstibaJSON
import Glibc
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
                "devices", "securityOpt",
            ],
            notifications: ["container/started", "container/output", "container/exit"]
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
                guard let mode = NetworkMode(rawValue: n) else { throw RPCErrorCode.invalidParams("\"network\" must be \"none\" or \"host\"", param: "network") }
                o.network = mode
            }
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
            do throws(EngineError) { try Limits.check(o.limits) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: error.context.keys.first ?? "memory")
            }
            let interactive = try p.bool("interactive") ?? false
            if o.detach && (o.tty || interactive) {
                throw RPCErrorCode.invalidParams("detached containers take no terminal or input here; drop \"tty\"/\"interactive\"")
            }
            let options = o
            let sessions = service.sessions
            if options.detach || options.createOnly {
                return task { () async throws(EngineError) -> JSONValue in
                    let r = try await service.engine.run(options)
                    return ["Id": .string(r.containerID), "Name": .string(r.name), "ExitCode": .null]
                }
            }
            return .deferred { ctx in
                do throws(EngineError) {
                    return .success(try await EstibaService.runStreaming(service.engine, options, interactive: interactive, sessions: sessions, ctx))
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod(
            "exec", params: ["container", "command", "env", "user", "workdir", "interactive", "tty"],
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
            let sessions = service.sessions
            return .deferred { ctx in
                do throws(EngineError) {
                    let value = try await EstibaService.stream(tty: tty, interactive: interactive, sessions: sessions, ctx) {
                        stdin, stdout, stderr, onTerminal, onStart throws(EngineError) in
                        // An exec session is addressed by its own ID (like Docker's exec IDs).
                        let execID = Engine.newExecID()
                        onStart(execID, container)
                        let code = try await service.engine.exec(
                            container: container, command: command, environment: env, user: user, workingDirectory: workdir,
                            tty: tty, stdin: stdin, stdout: stdout, stderr: stderr, onTerminal: onTerminal)
                        return (execID, container, code)
                    }
                    return .success(value)
                } catch {
                    return .failure(error.rpcError)
                }
            }
        },
        ServiceMethod("start", params: ["containers"]) { service, p throws(RPCError) in
            let names = try p.references("containers", "container")
            return task { () async throws(EngineError) -> JSONValue in ["started": JSONValue(try service.engine.start(containers: names))] }
        },
        ServiceMethod("ps", params: ["all"]) { service, p throws(RPCError) in
            let all = try p.bool("all") ?? false
            return task { () async throws(EngineError) -> JSONValue in
                ["containers": .array(try service.engine.containers(all: all).map(DockerJSON.containerRow))]
            }
        },
        ServiceMethod("rm", params: ["containers", "force"]) { service, p throws(RPCError) in
            let names = try p.references("containers", "container")
            let force = try p.bool("force") ?? false
            return task { () async throws(EngineError) -> JSONValue in
                ["removed": JSONValue(try service.engine.removeContainers(names, force: force))]
            }
        },
        ServiceMethod("stop", params: ["container", "timeout"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            // In range (refused by name otherwise), then converted with the engine's checked conversion.
            let seconds = try p.integer("timeout", in: 0...Limits.maximumStopTimeout) ?? 10
            let timeout: Int
            do throws(EngineError) { timeout = try Limits.stopTimeout(seconds) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: "timeout")
            }
            return task { () async throws(EngineError) -> JSONValue in
                ["ExitCode": .int(Int64(try await service.engine.stop(container: container, timeout: timeout)))]
            }
        },
        ServiceMethod("kill", params: ["container", "signal"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            let number = try p.integer("signal", in: 1...Limits.maximumSignal) ?? Int64(SIGKILL)
            let signal: Int32
            do throws(EngineError) { signal = try Limits.signal(number) } catch {
                throw RPCErrorCode.invalidParams(error.message, param: "signal")
            }
            return task { () async throws(EngineError) -> JSONValue in
                try service.engine.kill(container: container, signal: signal)
                return ["Signaled": true]
            }
        },
        ServiceMethod("wait", params: ["container"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            return task { () async throws(EngineError) -> JSONValue in
                ["ExitCode": .int(Int64(try await service.engine.wait(container: container)))]
            }
        },
        ServiceMethod("logs", params: ["container", "follow"], notifications: ["container/output"]) { service, p throws(RPCError) in
            let container = try p.reference("container", "container")
            let follow = try p.bool("follow") ?? false
            return .deferred { ctx in
                let collected = ByteCollector()
                do throws(EngineError) {
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
            return task { () async throws(EngineError) -> JSONValue in
                let image = try await service.engine.commit(container: container, reference: reference, changes: changes, message: message, author: author)
                return ["Id": .string(image.id.description), "RepoTags": JSONValue(image.references.map(\.description))]
            }
        },
    ]

    /// A `user` param in the forms `run -u` takes, or -32602 saying what is wrong with it.
    static func checkUser(_ user: String) throws(RPCError) {
        do throws(EngineError) { try Limits.checkUser(user) } catch {
            throw RPCErrorCode.invalidParams(error.message, param: "user")
        }
    }

    /// Runs the container with its stdout and stderr (or its terminal) sent as `container/output` notifications
    /// (base64 chunks) before the result; `container/started` and `container/exit` bracket it. With
    /// `interactive`, `input` writes to its stdin (a pipe, or the terminal with `tty`) while it runs.
    static func runStreaming(
        _ engine: Engine, _ o: RunOptions, interactive: Bool, sessions: InteractiveSessions, _ ctx: RPCContext
    ) async throws(EngineError) -> JSONValue {
        try await stream(tty: o.tty, interactive: interactive, sessions: sessions, ctx) { stdin, stdout, stderr, onTerminal, onStart throws(EngineError) in
            let r = try await engine.run(o, stdin: stdin, stdout: stdout, stderr: stderr, onTerminal: onTerminal, onStart: onStart)
            return (r.containerID, r.name, r.exitCode)
        }
    }

    typealias Launch = @Sendable (
        _ stdin: Int32, _ stdout: Int32, _ stderr: Int32, _ onTerminal: @escaping @Sendable (Int32) -> Void,
        _ onStart: @escaping @Sendable (String, String) -> Void
    ) async throws(EngineError) -> (id: String, name: String, exitCode: Int32)

    /// Runs a process (a container's first, or an exec) with its output as notifications and, when
    /// interactive, its input through `input`/`resize`.
    static func stream(
        tty: Bool, interactive: Bool, sessions: InteractiveSessions, _ ctx: RPCContext, launch: Launch
    ) async throws(EngineError) -> JSONValue {
        let requestID = ctx.requestID?.json ?? .null
        let readers = ConditionLock()
        let open = OpenCount(tty ? 1 : 2)
        @Sendable func pump(_ fd: Int32, _ stream: String) {
            startThread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    ctx.notify("container/output", ["id": requestID, "stream": .string(stream), "data": .string(Base64.encode(buffer[0..<n]))])
                }
                close(fd)
                readers.withLock {
                    open.value -= 1
                    readers.broadcast()
                }
            }
        }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        var inPipe: [Int32] = [-1, -1]
        if !tty {
            guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw EngineError(.io, "Cannot create pipes for the container's output.") }
        }
        if interactive && !tty {
            guard pipe(&inPipe) == 0 else { throw EngineError(.io, "Cannot create a pipe for the container's input.") }
        }
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        if !tty {
            pump(outPipe[0], "stdout")
            pump(errPipe[0], "stderr")
        }
        let stdin = inPipe[0] >= 0 ? inPipe[0] : Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        let inputWriter = inPipe[1]
        let started = ContainerBox()
        let master = ContainerBox()
        let result: (id: String, name: String, exitCode: Int32)
        do {
            result = try await launch(
                stdin, outPipe[1], errPipe[1],
                { fd in
                    master.set(fd, id: started.id)
                    if interactive { sessions.add(.init(id: started.id, name: started.name, input: fd, tty: true)) }
                    pump(dup(fd), "stdout")
                    // With a terminal, "started" goes out once input and resize can reach it.
                    ctx.notify("container/started", ["id": requestID, "container": .string(started.id), "name": .string(started.name)])
                },
                { id, name in
                    started.set(-1, id: id, name: name)
                    if interactive && !tty { sessions.add(.init(id: id, name: name, input: inputWriter, tty: false)) }
                    if !tty { ctx.notify("container/started", ["id": requestID, "container": .string(id), "name": .string(name)]) }
                })
        } catch {
            for fd in [outPipe[1], errPipe[1], stdin, inPipe[1]] where fd >= 0 { close(fd) }
            throw error
        }
        for fd in [outPipe[1], errPipe[1], stdin] where fd >= 0 { close(fd) }
        // Every output chunk goes out before the exit notification and the result.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            startThread {
                readers.withLock { while open.value > 0 { readers.wait() } }
                c.resume()
            }
        }
        // An interactive session's writer owns its input (the pipe, or the terminal's master) and closes it after
        // the input it has queued, so that no queued write can reach a reused descriptor.
        if interactive { sessions.remove(result.id) } else if inPipe[1] >= 0 { close(inPipe[1]) }
        if master.fd >= 0, !interactive { close(master.fd) }
        ctx.notify("container/exit", ["id": requestID, "container": .string(result.id), "exitCode": .int(Int64(result.exitCode))])
        return ["Id": .string(result.id), "Name": .string(result.name), "ExitCode": .int(Int64(result.exitCode))]
    }
}

/// Chunks gathered from a callback.
final class ByteCollector: @unchecked Sendable {
    private let lock = ConditionLock()
    private var storage: [UInt8] = []
    func append(_ chunk: [UInt8]) { lock.withLock { storage += chunk } }
    var bytes: [UInt8] { lock.withLock { storage } }
}

/// A counter shared with reader threads (guarded by the caller's lock).
/// The started container's ID and name, and its terminal, handed from the engine's callbacks.
final class ContainerBox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var values: (fd: Int32, id: String, name: String) = (-1, "", "")
    func set(_ fd: Int32, id: String, name: String? = nil) {
        lock.withLock { values = (fd, id, name ?? values.name) }
    }
    var fd: Int32 { lock.withLock { values.fd } }
    var id: String { lock.withLock { values.id } }
    var name: String { lock.withLock { values.name } }
}

final class OpenCount: @unchecked Sendable {
    var value: Int
    init(_ v: Int) { value = v }
}
