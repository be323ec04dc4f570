import EstibaJSON
import ImageStore
import Runtime
import System

extension Engine {
    /// Starts a container in the background under its own monitor process; returns its ID once it runs.
    func startDetached(containers: ContainerStore, record: ContainerRecord, autoRemove: Bool) throws(EstibaError) -> String {
        var record = record
        record.autoRemove = autoRemove
        do { try containers.save(record) } catch { throw error.recoded(.io) }
        do { try MonitorProcess.start(root: configuration.root, id: record.id) } catch {
            if error.stage == MonitorProcess.spawnStage { containers.remove(record.id) }
            throw error.adding(["container": record.name])
        }
        return record.id
    }

    /// The hidden command of the `estiba` executable that runs a detached container's monitor.
    public static let monitorCommandName = MonitorProcess.commandName

    /// What the hidden monitor command does: runs the monitor of container `id` (started by `startDetached`) in
    /// this process; returns its exit status.
    public func runMonitor(container id: String) -> Int32 {
        Monitor.run(root: configuration.root, id: id)
    }

    /// The container `spec` names, settled (see `ContainerRecovery`): a paused container no commit holds is thawed,
    /// one whose supervisor died is recorded as exited.
    func record(_ spec: String) throws(EstibaError) -> ContainerRecord {
        let store = try containerStore()
        let found: ContainerRecord
        do { found = try store.find(spec) } catch { throw error.adding(["container": spec]) }
        guard let settled = ContainerRecovery.settle(found, in: store) else {
            throw EstibaError(.notFound, "No such container: \(spec). It was removed when it exited (--rm).", context: ["container": spec])
        }
        return settled
    }

    /// Sends `signal` to the container's first process (`docker kill`).
    public func kill(container spec: String, signal: Int32 = Signal.kill.rawValue) throws(EstibaError) {
        _ = try Limits.signal(Int64(signal))
        let r = try record(spec)
        guard r.state == .running, let pid = r.pid, Processes.exists(pid) else {
            throw EstibaError(.conflict, "Container \(spec) is not running.", context: ["container": spec])
        }
        do { try Processes.send(Signal(rawValue: signal), to: pid) } catch {
            throw EstibaError(.io, "Cannot signal container \(spec): \(error.reason).", context: ["container": spec])
        }
    }

    /// SIGTERM (or the image's stop signal), then SIGKILL after `timeout` seconds (`docker stop`). A container
    /// removed as it exits (`--rm`) is stopped all the same: its code is that of the last signal sent.
    public func stop(container spec: String, timeout: Int = 10) async throws(EstibaError) -> Int32 {
        let r = try record(spec)
        var signal = Signal.terminate
        if r.state == .running, let pid = r.pid {
            try? Processes.send(.terminate, to: pid)
            // The grace period, in 20 ms steps (a container's first process ignores SIGTERM unless it handles it).
            var waited = 0
            let grace = timeout.multipliedReportingOverflow(by: 1000)
            let limit = grace.overflow ? Int.max : max(grace.partialValue, 0)
            while Processes.exists(pid), waited < limit {
                try? await Task.sleep(nanoseconds: 20_000_000)
                waited += 20
            }
            if Processes.exists(pid) {
                signal = .kill
                try? Processes.send(.kill, to: pid)
            }
        }
        do { return try await wait(container: r.id) } catch where r.autoRemove && error.code == .notFound {
            return 128 + signal.rawValue
        }
    }

    /// Waits until the container is not running; returns its exit code (`docker wait`). A container that was
    /// created and never started is not running: its code is 0, at once, as with Docker.
    public func wait(container spec: String) async throws(EstibaError) -> Int32 {
        let id = try record(spec).id
        while true {
            let r = try record(id)
            if r.state == .exited, let code = r.exitCode { return code }
            if r.state == .created { return r.exitCode ?? 0 }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The container's output so far (detached containers); with `follow`, `onChunk` keeps receiving it until
    /// the container exits.
    public func logs(container spec: String, follow: Bool, onChunk: @Sendable ([UInt8]) -> Void) async throws(EstibaError) {
        let r = try record(spec)
        let path = try containerStore().path(r.id) + "/container.log"
        let log: FileDescriptor
        do { log = try FileDescriptor.open(path) } catch {
            throw EstibaError(.notFound, "Container \(spec) has no log: only detached containers (run -d) keep one.", context: ["container": spec])
        }
        // A read error ends the output like the end of the file does.
        func nextChunk() -> [UInt8] { (try? log.read(upTo: 65536)) ?? [] }
        while true {
            let chunk = nextChunk()
            if !chunk.isEmpty {
                onChunk(chunk)
                continue
            }
            guard follow else { return }
            if (try? record(r.id))?.state != .running {
                // Drain what the container wrote last.
                while true {
                    let last = nextChunk()
                    if last.isEmpty { return }
                    onChunk(last)
                }
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}

extension Engine {
    /// Runs a command inside a running container (`docker exec`): its namespaces, root, environment and user
    /// unless given. With `tty`, the terminal has `terminalSize` from the start (nil: 0x0 until resized) and
    /// `onTerminal` receives its master side.
    public func exec(
        container spec: String, command: [String], environment: [String] = [], user: String? = nil,
        workingDirectory: String? = nil, tty: Bool = false, terminalSize: TerminalSize? = nil, stdin: Int32 = -1, stdout: Int32 = -1,
        stderr: Int32 = -1, onTerminal: (@Sendable (Int32) -> Void)? = nil
    ) async throws(EstibaError) -> Int32 {
        let (record, s) = try execSpec(
            container: spec, command: command, environment: environment, user: user, workingDirectory: workingDirectory, tty: tty,
            terminalSize: terminalSize)
        let process = try launchExec(s, into: record, as: spec, stdin: stdin, stdout: stdout, stderr: stderr)
        if let master = process.terminal { onTerminal?(master) }
        return await Launcher.wait(process)
    }

    /// The running container `spec` names, and the spec of an exec in it (see `ContainerSetup.exec`).
    func execSpec(
        container spec: String, command: [String], environment: [String], user: String?, workingDirectory: String?, tty: Bool,
        terminalSize: TerminalSize?
    ) throws(EstibaError) -> (ContainerRecord, ContainerSpec) {
        guard !command.isEmpty else { throw EstibaError(.invalidArgument, "exec needs a command to run.") }
        let r = try record(spec)
        guard r.state == .running, let pid = r.pid, Processes.exists(pid) else {
            throw EstibaError(.conflict, "Container \(spec) is not running; start it (run -d) before exec.", context: ["container": spec])
        }
        let files = BundleFiles(directory: try containerStore().path(r.id))
        guard let bundleBytes = try? Files.read(files.config), let bundle = try? JSONValue.parse(bundleBytes) else {
            throw EstibaError(.notFound, "Container \(spec) has no bundle; remove it and run it again.", context: ["container": spec])
        }
        let container: ContainerSpec
        do throws(EstibaError) { container = try Bundle.spec(from: bundle, directory: files.directory) } catch { throw error.recoded(.invalidArgument) }
        if let user { try Limits.checkUser(user) }
        do {
            let s = try ContainerSetup.exec(
                in: container, command: command, environment: environment, user: user, workingDirectory: workingDirectory, tty: tty,
                terminalSize: terminalSize)
            return (r, s)
        } catch {
            throw error.recoded(.invalidArgument).adding(["user": user ?? ""])
        }
    }

    /// Starts an exec's process in the running container `record` (named `reference` by the caller).
    func launchExec(
        _ s: ContainerSpec, into record: ContainerRecord, as reference: String, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(EstibaError) -> LaunchedProcess {
        guard let pid = record.pid else {
            throw EstibaError(.conflict, "Container \(reference) is not running; start it (run -d) before exec.", context: ["container": reference])
        }
        do { return try Launcher.start(s, stdin: stdin, stdout: stdout, stderr: stderr, execInto: pid) } catch {
            throw error.recoded(.launchFailed).adding(["container": reference, "stage": error.stage ?? ""])
        }
    }
}
