import Glibc
import EstibaJSON
import ImageStore
import Runtime

extension Engine {
    /// Starts a container in the background under its own monitor process; returns its ID once it runs.
    func startDetached(containers: ContainerStore, record: ContainerRecord, autoRemove: Bool) throws(EngineError) -> String {
        var record = record
        record.autoRemove = autoRemove
        do { try containers.save(record) } catch { throw EngineError(.io, error.message) }
        var exe = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &exe, Int(PATH_MAX))
        guard n > 0 else { throw EngineError(.internal, "Cannot find the estiba executable to start a container monitor.") }
        let executable = String(decoding: exe[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ready: [Int32] = [-1, -1]
        guard pipe(&ready) == 0 else { throw EngineError(.io, "Cannot create a pipe for the container monitor.") }
        _ = fcntl(ready[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ready[1], F_SETFD, FD_CLOEXEC)
        defer { close(ready[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, ready[1], 3)
        // The monitor (and so the container) must hold nothing of ours: a client waiting for our output would
        // otherwise wait for the container's end.
        for fd in Self.openDescriptors() where fd > 3 && fd != ready[1] { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID: its own session, detached from ours
        let argv = ["estiba", "__monitor", "--root", configuration.root, record.id]
        var pid: pid_t = 0
        let rc = argv.withSpawnArguments { args in
            posix_spawn(&pid, executable, &actions, &attributes, args, environ)
        }
        close(ready[1])
        guard rc == 0 else {
            containers.remove(record.id)
            throw EngineError(.internal, "Cannot start the container monitor: \(String(cString: strerror(rc))).")
        }
        Self.reapWhenDone(pid)
        let text = String(decoding: FileContents.read(descriptor: ready[0], limit: 2048) ?? [], as: UTF8.self)
        guard text == "ok" else {
            throw EngineError(.invalidArgument, text.isEmpty ? "The container monitor stopped before the container started." : text, context: ["container": record.name])
        }
        return record.id
    }

    /// Waits for child `pid` on a small detached thread of its own, so a long-lived process (the service) keeps no
    /// zombie of a monitor it started.
    static func reapWhenDone(_ pid: pid_t) {
        let context = UnsafeMutablePointer<pid_t>.allocate(capacity: 1)
        context.initialize(to: pid)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 128 << 10)
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let context = raw.assumingMemoryBound(to: pid_t.self)
            let pid = context.pointee
            context.deallocate()
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            return nil
        }, context)
        // Without a thread the monitor is reaped by nobody until this process exits (and then by init).
        if rc != 0 { context.deallocate() }
    }

    /// The descriptors this process has open.
    static func openDescriptors() -> [Int32] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        let own = dirfd(dir)
        var out: [Int32] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd != own { out.append(fd) }
        }
        closedir(dir)
        return out
    }

    func record(_ spec: String) throws(EngineError) -> ContainerRecord {
        let store = try containerStore()
        do { return try store.find(spec) } catch { throw EngineError(.notFound, error.message, context: ["container": spec]) }
    }

    /// Sends `signal` to the container's first process (`docker kill`).
    public func kill(container spec: String, signal: Int32 = SIGKILL) throws(EngineError) {
        _ = try Limits.signal(Int64(signal))
        let r = try record(spec)
        guard r.state == .running, let pid = r.pid, Glibc.kill(pid, 0) == 0 else {
            throw EngineError(.conflict, "Container \(spec) is not running.", context: ["container": spec])
        }
        guard Glibc.kill(pid, signal) == 0 else {
            throw EngineError(.io, "Cannot signal container \(spec): \(String(cString: strerror(errno))).", context: ["container": spec])
        }
    }

    /// SIGTERM (or the image's stop signal), then SIGKILL after `timeout` seconds (`docker stop`).
    public func stop(container spec: String, timeout: Int = 10) async throws(EngineError) -> Int32 {
        let r = try record(spec)
        if r.state == .running, let pid = r.pid {
            Glibc.kill(pid, SIGTERM)
            // The grace period, in 20 ms steps (a container's first process ignores SIGTERM unless it handles it).
            var waited = 0
            let grace = timeout.multipliedReportingOverflow(by: 1000)
            let limit = grace.overflow ? Int.max : max(grace.partialValue, 0)
            while Glibc.kill(pid, 0) == 0, waited < limit {
                try? await Task.sleep(nanoseconds: 20_000_000)
                waited += 20
            }
            if Glibc.kill(pid, 0) == 0 { Glibc.kill(pid, SIGKILL) }
        }
        return try await wait(container: r.id)
    }

    /// Waits until the container has exited; returns its exit code (`docker wait`).
    public func wait(container spec: String) async throws(EngineError) -> Int32 {
        let id = try record(spec).id
        while true {
            let r = try record(id)
            if r.state == .exited, let code = r.exitCode { return code }
            // A monitor that vanished without recording the exit: the container is gone too.
            if r.state == .running, let pid = r.monitorPid ?? r.pid, Glibc.kill(pid, 0) != 0, errno == ESRCH {
                if (try? record(id))?.state == .running { return -1 }
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The container's output so far (detached containers); with `follow`, `onChunk` keeps receiving it until
    /// the container exits.
    public func logs(container spec: String, follow: Bool, onChunk: @Sendable ([UInt8]) -> Void) async throws(EngineError) {
        let r = try record(spec)
        let path = try containerStore().path(r.id) + "/container.log"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw EngineError(.notFound, "Container \(spec) has no log: only detached containers (run -d) keep one.", context: ["container": spec])
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                onChunk(Array(buffer[0..<n]))
                continue
            }
            guard follow else { return }
            if (try? record(r.id))?.state != .running {
                // Drain what the container wrote last.
                while true {
                    let m = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if m <= 0 { return }
                    onChunk(Array(buffer[0..<m]))
                }
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}

extension Array where Element == String {
    /// A NULL-terminated argv for posix_spawn, valid during `body`.
    func withSpawnArguments<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count + 1)
        defer { array.deallocate() }
        for (i, c) in copies.enumerated() { (array + i).initialize(to: c) }
        (array + count).initialize(to: nil)
        return body(UnsafePointer(array))
    }
}

extension Engine {
    /// Runs a command inside a running container (`docker exec`): its namespaces, root, environment and user
    /// unless given. With `tty`, `onTerminal` receives the terminal's master side.
    public func exec(
        container spec: String, command: [String], environment: [String] = [], user: String? = nil,
        workingDirectory: String? = nil, tty: Bool = false, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
        onTerminal: (@Sendable (Int32) -> Void)? = nil
    ) async throws(EngineError) -> Int32 {
        guard !command.isEmpty else { throw EngineError(.invalidArgument, "exec needs a command to run.") }
        let r = try record(spec)
        guard r.state == .running, let pid = r.pid, Glibc.kill(pid, 0) == 0 else {
            throw EngineError(.conflict, "Container \(spec) is not running; start it (run -d) before exec.", context: ["container": spec])
        }
        let base = try containerStore().path(r.id)
        guard let bundleBytes = FileContents.read(base + "/config.json"), let bundle = try? JSONValue.parse(bundleBytes) else {
            throw EngineError(.notFound, "Container \(spec) has no bundle; remove it and run it again.", context: ["container": spec])
        }
        var s: ContainerSpec
        do throws(RuntimeError) { s = try Bundle.spec(from: bundle, directory: base) } catch { throw EngineError(.invalidArgument, error.message) }
        s.arguments = command
        s.environment = Self.mergeEnvironment(s.environment, environment)
        if let workingDirectory { s.workingDirectory = workingDirectory }
        if let user {
            try Limits.checkUser(user)
            let u: UserResolver.Resolved
            do { u = try UserResolver.resolve(user, layers: r.lowerDirectories) } catch {
                throw EngineError(.invalidArgument, error.message, context: ["user": user])
            }
            s.user = (u.uid, u.gid, u.groups)
        }
        s.terminal = tty
        let process: LaunchedProcess
        do { process = try Launcher.start(s, stdin: stdin, stdout: stdout, stderr: stderr, execInto: pid) } catch {
            throw EngineError(.launchFailed, error.message, context: ["container": spec, "stage": error.stage ?? ""])
        }
        if let master = process.terminal { onTerminal?(master) }
        return await Launcher.wait(process)
    }
}
