import EstibaJSON
import ImageStore
import Runtime
import System

/// How to run a container (the `docker run` options Estiba supports so far).
public struct RunOptions: Sendable {
    public var image: String
    /// Replaces the image's CMD when not empty.
    public var command: [String] = []
    /// Replaces the image's ENTRYPOINT when set.
    public var entrypoint: [String]?
    /// `KEY=VALUE` entries added to (or replacing) the image's environment.
    public var environment: [String] = []
    public var workingDirectory: String?
    /// `user`, `uid`, `user:group` or `uid:gid`; names are looked up in the image.
    public var user: String?
    public var name: String?
    public var hostname: String?
    /// `bridge` (the default network; also `default`), `none`, `host`, or a user network's name.
    public var network = Network.defaultName
    /// `-p` specs (`[IP:]HOSTPORT:CONTAINERPORT[/PROTO]`, ranges, `CONTAINERPORT`), and `-P` (every EXPOSEd port).
    public var publish: [String] = []
    public var publishAll = false
    /// `--network-alias`: more names the container is found by on a user network.
    public var networkAliases: [String] = []
    /// `--add-host NAME:IP`, `--dns`, `--dns-search`, `--dns-option`.
    public var extraHosts: [String] = []
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOptions: [String] = []
    /// Remove the container (and its writable layer) when it exits.
    public var remove = false
    public var readOnly = false
    /// Allocate a terminal (`-t`); the caller gets its master side through `onTerminal`.
    public var tty = false
    /// The terminal's size from the moment the command starts, with `tty` (Docker's `ConsoleSize`); nil: 0x0 until
    /// resized.
    public var terminalSize: TerminalSize?
    /// Which runtime starts the container: Estiba's own launcher, or runc on the same OCI bundle.
    public var runtime: ContainerRuntime = .estiba
    /// Run in the background under a monitor (`-d`); output goes to the container's log.
    public var detach = false
    /// `-v` specs: `/host:/target[:ro]` or `name:/target[:ro]`.
    public var volumes: [String] = []
    /// `--memory`, `--pids-limit`, `--cpus`.
    public var limits = ResourceLimits()
    /// Only create the container (`docker create`); `start` runs it later, in the background.
    public var createOnly = false
    /// `--label` entries, added to the image's labels.
    public var labels: [String: String] = [:]
    /// `--device` specs: `/dev/HOST[:/dev/CONTAINER][:rwm]`.
    public var devices: [String] = []
    /// `--security-opt` values: `seccomp=unconfined`, `seccomp=PROFILE.json`, `no-new-privileges`.
    public var securityOptions: [String] = []
    /// When the image is pulled (`--pull`): when the store lacks it (the default), always, or never.
    public var pull: PullPolicy = .missing
    /// Hears of the image's pull, if there is one (before the container is created).
    public var onPull: ImagePullHandler?

    public init(image: String) { self.image = image }
}

/// The program that starts containers.
public enum ContainerRuntime: String, Sendable {
    case estiba, runc
}

/// How a run ended.
public struct RunResult: Sendable {
    public var containerID: String
    public var name: String
    public var exitCode: Int32
}

extension Engine {
    func containerStore() throws(EstibaError) -> ContainerStore {
        // Opening the image store first makes (or checks) a private store root.
        _ = try store()
        let containers: ContainerStore
        do { containers = try ContainerStore(root: configuration.root) } catch {
            throw error.recoded(.io)
        }
        ContainerRecovery.once(containers, root: configuration.root)
        return containers
    }

    /// Runs a container to completion with the given standard descriptors (-1: this process's own): the create,
    /// start and wait steps. With `o.tty`, `onTerminal` receives the terminal's master descriptor once the
    /// container runs (and owns it). `createOnly` stops after the create step; `detach` starts it under a monitor.
    public func run(
        _ o: RunOptions, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
        onTerminal: (@Sendable (Int32) -> Void)? = nil, onStart: (@Sendable (_ id: String, _ name: String) -> Void)? = nil
    ) async throws(EstibaError) -> RunResult {
        let created = try await createContainer(o)
        let (id, name) = (created.record.id, created.record.name)
        if o.createOnly {
            try keepCreated(created, o)
            return RunResult(containerID: id, name: name, exitCode: 0)
        }
        if o.detach {
            return RunResult(containerID: try startDetached(created, o), name: name, exitCode: 0)
        }
        let process = try await startForeground(created, o, stdin: stdin, stdout: stdout, stderr: stderr)
        if o.runtime == .estiba { onStart?(id, name) }
        if let master = process.terminal { onTerminal?(master) }
        let code = await waitForExit(process, remove: o.remove)
        return RunResult(containerID: id, name: name, exitCode: code)
    }

    /// Containers, newest first (`all`: stopped ones too), each settled (see `ContainerRecovery`). Records of
    /// processes that vanished read as exited.
    public func containers(all: Bool = true) throws(EstibaError) -> [ContainerRecord] {
        let store = try containerStore()
        return store.all().compactMap { ContainerRecovery.settle($0, in: store) }.map(Self.live).filter { all || $0.state == .running }
    }

    /// A record as things stand: one whose process vanished reads as exited.
    static func live(_ record: ContainerRecord) -> ContainerRecord {
        var r = record
        if r.state == .running, let pid = r.pid, !Processes.exists(pid) { r.state = .exited }
        return r
    }

    /// Removes containers and their writable layers; a running one only with `force` (it is killed).
    public func removeContainers(_ specs: [String], force: Bool) throws(EstibaError) -> [String] {
        let store = try containerStore()
        var removed: [String] = []
        for spec in specs {
            let record: ContainerRecord
            do { record = try store.find(spec) } catch { throw error.adding(["container": spec]) }
            guard let settled = ContainerRecovery.settle(record, in: store) else {
                removed.append(spec)
                continue
            }
            if Self.live(settled).state == .running {
                guard force, let pid = settled.pid else {
                    throw EstibaError(.conflict, "Container \(spec) is running; stop it first, or remove it with force.", context: ["container": spec])
                }
                try? Processes.send(.kill, to: pid)
            }
            // Its cgroups go with it (thawed first: a paused process cannot die).
            ContainerRecovery.end(record.id)
            store.remove(record.id)
            removed.append(spec)
        }
        return removed
    }

    /// Turns a container's writable layer into a new image layer, with a new config and history entry.
    public func commit(
        container spec: String, reference: String?, changes: [String] = [], message: String? = nil, author: String? = nil
    ) async throws(EstibaError) -> ImageRecord {
        let store = try containerStore()
        let record: ContainerRecord
        do { record = try store.find(spec) } catch { throw error.adding(["container": spec]) }
        // A running container is paused (freezer cgroup) while its layer is read, like docker commit.
        // The pause is recorded with this process's pid, so if this process dies the next command thaws it.
        var frozen: ContainerFreeze?
        if Self.live(record).state == .running {
            do { frozen = try ContainerFreeze.freeze(store: store, id: record.id) } catch {
                throw EstibaError(.conflict, "Container \(spec) is running and cannot be paused (\(error.message)); stop it first, then commit.", context: ["container": spec])
            }
        }
        defer { frozen?.thaw() }
        let ref = try reference.map { r throws(EstibaError) in try Self.reference(r) }
        let base = try await inspectImage(record.imageID)
        var config = base.config
        try ConfigChanges.apply(changes, to: &config.config)
        let upper = ActiveSnapshot(directory: store.path(record.id), parents: record.lowerDirectories).upper
        let created = Timestamp.now()
        return try await withStore { images throws(EstibaError) in
            let layer = try await images.addLayer(from: upper, overlayUpper: true)
            config.created = created
            config.author = author ?? config.author
            config.diffIDs.append(layer.diffID)
            config.history.append(HistoryEntry(created: created, createdBy: record.command.joined(separator: " "), author: author, comment: message))
            let layers = base.manifest.layers.map { (digest: $0.digest, size: $0.size) } + [(digest: layer.diffID, size: layer.size)]
            return try await images.add(config: config, layers: layers, reference: ref)
        }
    }

    /// Image IDs used by containers, with the container names (so `rmi` can refuse them).
    func imagesInUse() throws(EstibaError) -> [Digest: [String]] {
        var out: [Digest: [String]] = [:]
        for c in try containerStore().all() { if let d = Digest(c.imageID) { out[d, default: []].append(c.name) } }
        return out
    }
}
