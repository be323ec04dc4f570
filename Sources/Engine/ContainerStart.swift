import EstibaJSON
import ImageStore
import Runtime
import System

/// A container's first process, started in the foreground by Estiba's launcher or by runc.
struct ForegroundProcess: Sendable {
    enum Started: Sendable {
        case estiba(SupervisedProcess)
        case runc(RuncRunner.Process)
    }

    let started: Started
    /// The container's record as it runs.
    let record: ContainerRecord
    let store: ContainerStore
    /// The terminal's master side, when the container has one (the caller owns it).
    var terminal: Int32? {
        if case .estiba(let p) = started { return p.terminal }
        return nil
    }
}

extension Engine {
    /// The start step of `run`: starts the created container's first process with the given standard
    /// descriptors (-1: this process's own) and records it as running. Its keeper (see `Keeping`) is its
    /// supervisor and outlives this process: when this process is gone as the container ends, the keeper records
    /// the exit (`estiba __settle`), or whoever next opens the store does, honouring `remove` either way.
    func startForeground(_ c: CreatedContainer, _ o: RunOptions, stdin: Int32, stdout: Int32, stderr: Int32) async throws(EstibaError) -> ForegroundProcess {
        var record = c.record
        record.state = .running
        record.startedAt = Timestamp.now().seconds
        record.monitorPid = Processes.currentID
        record.autoRemove = o.remove
        if o.runtime == .runc {
            guard !o.tty else {
                c.store.remove(record.id)
                throw EstibaError(.invalidArgument, "runtime runc runs without a terminal here; drop -t or use the default runtime.")
            }
            try? c.store.save(record)
            do throws(EstibaError) {
                // On a bridge network runc attaches it through this executable's hidden command, as its hook.
                var hook: [String]?
                if try ContainerNetworking.attacher(root: configuration.root, directory: c.directory, record: record) != nil {
                    guard configuration.isEstibaExecutable else {
                        throw EstibaError(.invalidArgument, "runtime runc joins a bridge network only when run by the estiba executable; use --network none or host.")
                    }
                    let exe = try Processes.executablePath()
                    hook = [exe, Self.attachNetworkCommandName, "--root", configuration.root, record.id]
                }
                let p = try RuncRunner.start(
                    c.spec, bundleDirectory: c.directory, id: record.id, stdin: stdin, stdout: stdout, stderr: stderr, createRuntimeHook: hook)
                return ForegroundProcess(started: .runc(p), record: record, store: c.store)
            } catch {
                c.store.remove(record.id)
                throw error.recoded(.invalidArgument).adding(["container": record.name])
            }
        }
        let store = c.store
        let announced = record
        let id = record.id
        let keeping = Keeping(exitFile: store.exitFile(record.id), settleCommand: try? settleCommand(record.id)) { pid, keeper in
            var r = announced
            r.pid = pid
            r.monitorPid = keeper
            r.publishedPorts = ContainerNetworking.attachments(of: id).flatMap(\.ports)
            r.takeNetworks(of: store.record(id))
            do { try store.save(r) } catch { return false }
            return true
        }
        let process: SupervisedProcess
        do {
            // On a bridge network: attached while it waits to start; released wherever its end is recorded.
            let attach = try ContainerNetworking.attacher(root: configuration.root, directory: c.directory, record: record)
            process = try await SupervisedProcess.start(c.spec, stdin: stdin, stdout: stdout, stderr: stderr, keeping: keeping, beforeStart: attach)
        } catch {
            c.store.remove(record.id)
            if error.stage == "network" || error.code == .conflict || error.code == .failedPrecondition || error.code == .notFound {
                throw error.adding(["container": record.name])
            }
            throw error.recoded(.launchFailed).adding(["container": record.name, "image": record.image, "stage": error.stage ?? ""])
        }
        record.pid = process.pid
        record.monitorPid = process.process.keeper?.pid
        record.publishedPorts = ContainerNetworking.attachments(of: id).flatMap(\.ports)
        return ForegroundProcess(started: .estiba(process), record: record, store: c.store)
    }

    /// Waits for a foreground container to exit and records its exit (removing it when `remove`); returns the exit
    /// code.
    func waitForExit(_ p: ForegroundProcess, remove: Bool) async -> Int32 {
        let code: Int32
        switch p.started {
        case .estiba(let process): code = await process.exitCode()
        case .runc(let process): code = await RuncRunner.wait(process)
        }
        var record = p.record
        record.autoRemove = remove
        p.store.recordExit(record, code: code)
        return code
    }

    /// The hidden command of the `estiba` executable that runc runs as a container's createRuntime hook.
    public static let attachNetworkCommandName = "__attach-network"

    /// What the hidden attach command does: attaches container `id`, which runc is starting (`ociState` is the
    /// container's state as runc hands it to a hook: its pid), to its network.
    public func attachNetwork(container id: String, ociState: [UInt8]) throws(EstibaError) {
        let store = try containerStore()
        guard let record = store.record(id) else { throw EstibaError(.notFound, "No such container: \(id).") }
        let state: JSONValue
        do { state = try JSONValue.parse(ociState) } catch { throw EstibaError(.badInput, "The container's state from runc is not JSON.") }
        guard let pid = state["pid"]?.intValue.flatMap({ Int32(exactly: $0) }), pid > 0 else {
            throw EstibaError(.badInput, "The container's state from runc has no pid.")
        }
        try ContainerNetworking.attacher(root: configuration.root, directory: store.path(id), record: record)?(pid)
    }

    /// The command a keeper runs to record its container's end when the client is gone (nil when this process
    /// is not the `estiba` executable).
    private func settleCommand(_ id: String) throws(EstibaError) -> [String]? {
        guard configuration.isEstibaExecutable else { return nil }
        return [try Processes.executablePath(), Self.settleCommandName, "--root", configuration.root, id]
    }

    /// `run -d`: starts the created container under its monitor; returns its ID once it runs.
    func startDetached(_ c: CreatedContainer, _ o: RunOptions) throws(EstibaError) -> String {
        guard !o.tty, o.runtime == .estiba else {
            c.store.remove(c.record.id)
            throw EstibaError(.invalidArgument, "Detached containers run without a terminal, on the default runtime; drop -t or --runtime.")
        }
        do { return try startDetached(containers: c.store, record: c.record, autoRemove: o.remove) } catch {
            // A container `run` made and could not start is not kept.
            c.store.remove(c.record.id)
            throw error
        }
    }

    /// Starts created (or exited) containers in the background under their monitors, like `docker start`.
    public func start(containers specs: [String]) throws(EstibaError) -> [String] {
        let store = try containerStore()
        let running = Set(try containers(all: false).map(\.id))
        var started: [String] = []
        for spec in specs {
            let record: ContainerRecord
            do { record = try store.find(spec) } catch { throw error.adding(["container": spec]) }
            if running.contains(record.id) {
                started.append(spec)
                continue
            }
            _ = try startDetached(containers: store, record: record, autoRemove: record.autoRemove)
            started.append(spec)
        }
        return started
    }
}
