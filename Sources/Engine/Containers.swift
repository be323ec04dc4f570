import EstibaJSON
import Builder
import Glibc
import ImageStore
import Runtime

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
    public var network: NetworkMode = .none
    /// Remove the container (and its writable layer) when it exits.
    public var remove = false
    public var readOnly = false
    /// Allocate a terminal (`-t`); the caller gets its master side through `onTerminal`.
    public var tty = false
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
    func containerStore() throws(EngineError) -> ContainerStore {
        // Opening the image store first makes (or checks) a private store root.
        _ = try store()
        do { return try ContainerStore(directory: configuration.root + "/containers") } catch {
            throw EngineError(.io, error.message)
        }
    }

    /// Runs a container to completion with the given standard descriptors (-1: this process's own).
    /// With `o.tty`, `onTerminal` receives the terminal's master descriptor once the container runs (and owns it).
    public func run(
        _ o: RunOptions, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
        onTerminal: (@Sendable (Int32) -> Void)? = nil, onStart: (@Sendable (_ id: String, _ name: String) -> Void)? = nil
    ) async throws(EngineError) -> RunResult {
        try Limits.check(o.limits)
        if let user = o.user { try Limits.checkUser(user) }
        let image = try await inspectImage(o.image)
        let lowers = try await withStore { store throws(StoreError) in try await store.lowerDirectories(image.id.description) }
        let cfg = image.config.config
        let entrypoint = o.entrypoint ?? cfg.entrypoint ?? []
        let command = o.command.isEmpty ? (o.entrypoint != nil ? [] : cfg.cmd ?? []) : o.command
        let arguments = entrypoint + command
        guard !arguments.isEmpty else {
            throw EngineError(.invalidArgument, "No command given and image \(o.image) has no CMD or ENTRYPOINT; add a command after the image name.")
        }
        let security: SecurityOptions
        let devices: [DeviceNode]
        do throws(RuntimeError) {
            security = try SecurityOptions.parse(o.securityOptions)
            devices = try o.devices.map { (d: String) throws(RuntimeError) in try DeviceNode.parse(d) }
        } catch {
            throw EngineError(.invalidArgument, error.message, context: ["image": o.image])
        }
        let containers = try containerStore()
        let mounted: [String]
        do { mounted = [try InitLayer.ensure(root: configuration.root)] + lowers } catch { throw EngineError(.io, error.message) }
        let id = ContainerStore.newID()
        let name = o.name ?? "estiba_" + String(id.prefix(8))
        guard ContainerStore.validName(name) else {
            throw EngineError(.invalidArgument, "Invalid container name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit.", context: ["container": name])
        }
        let hostname = o.hostname ?? String(id.prefix(12))
        var (volumeMounts, newVolumes) = try VolumeSpecs.resolve(o.volumes, root: configuration.root)
        // The image's VOLUMEs that no -v covers get anonymous volumes, as with Docker.
        var anonymous: [String] = []
        for v in cfg.volumes where !volumeMounts.contains(where: { $0.target == v }) {
            let (volumeName, path) = try VolumeSpecs.anonymous(root: configuration.root)
            anonymous.append(volumeName)
            let m = VolumeMount(source: path, target: v, readOnly: false)
            volumeMounts.append(m)
            newVolumes.append(m)
        }
        // New volumes start with the image's files at their path.
        for v in newVolumes {
            do { try VolumeSeeder.seed(volume: v.source, image: lowers, path: v.target, root: configuration.root) } catch {
                throw EngineError(.io, "Cannot fill the new volume for \(v.target) from the image: \(error.message)", context: ["volume": v.target])
            }
        }
        try Limits.checkUser(o.user ?? cfg.user ?? "")
        let user: UserResolver.Resolved
        do { user = try UserResolver.resolve(o.user ?? cfg.user ?? "", layers: lowers) } catch {
            throw EngineError(.invalidArgument, error.message, context: ["user": o.user ?? cfg.user ?? "", "image": o.image])
        }
        var environment = Self.mergeEnvironment(cfg.env, o.environment)
        if !environment.contains(where: { $0.hasPrefix("PATH=") }) {
            environment.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        environment.append("HOSTNAME=" + hostname)
        if !environment.contains(where: { $0.hasPrefix("HOME=") }) { environment.append("HOME=" + user.home) }

        var record = ContainerRecord(
            id: id, name: name, image: o.image, imageID: image.id.description, command: arguments,
            created: Timestamp.now().seconds, lowerDirectories: mounted)
        record.labels = cfg.labels.merging(o.labels) { _, new in new }
        record.anonymousVolumes = anonymous
        do { try containers.create(record) } catch { throw EngineError(.conflict, error.message, context: ["container": name]) }
        let base = containers.path(id)
        var spec = ContainerSpec(
            lowerDirectories: mounted, upperDirectory: base + "/upper", workDirectory: base + "/work", mountPoint: base + "/rootfs",
            arguments: arguments, environment: environment, workingDirectory: o.workingDirectory ?? cfg.workingDir ?? "/",
            hostname: hostname)
        spec.user = (user.uid, user.gid, user.groups)
        spec.network = o.network
        spec.readOnlyRoot = o.readOnly
        spec.mounts = volumeMounts
        spec.cgroupID = id
        spec.limits = o.limits
        spec.devices = devices
        spec.seccomp = security.seccomp
        spec.noNewPrivileges = security.noNewPrivileges
        spec.terminal = o.tty
        if o.tty, !environment.contains(where: { $0.hasPrefix("TERM=") }) { spec.environment.append("TERM=xterm") }
        spec.hostsFile = base + "/hosts"
        spec.hostnameFile = base + "/hostname"
        spec.resolvFile = base + "/resolv.conf"
        do {
            try containers.write(Array("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t\(hostname)\n".utf8), to: base + "/hosts")
            try containers.write(Array((hostname + "\n").utf8), to: base + "/hostname")
            let resolv = FileContents.read("/etc/resolv.conf") ?? []
            try containers.write(resolv, to: base + "/resolv.conf")
            try containers.write(Bundle.config(spec).encodedPretty(), to: base + "/config.json")
        } catch {
            containers.remove(id)
            throw EngineError(.io, error.message)
        }

        if o.createOnly {
            guard !o.tty, o.runtime == .estiba else {
                containers.remove(id)
                throw EngineError(.invalidArgument, "Created containers start in the background, without a terminal, on the default runtime; drop -t or --runtime.")
            }
            record.autoRemove = o.remove
            do { try containers.save(record) } catch {
                containers.remove(id)
                throw EngineError(.io, error.message)
            }
            return RunResult(containerID: id, name: name, exitCode: 0)
        }
        if o.detach {
            guard !o.tty, o.runtime == .estiba else {
                containers.remove(id)
                throw EngineError(.invalidArgument, "Detached containers run without a terminal, on the default runtime; drop -t or --runtime.")
            }
            let started = try startDetached(containers: containers, record: record, autoRemove: o.remove)
            return RunResult(containerID: started, name: name, exitCode: 0)
        }
        if o.runtime == .runc {
            guard !o.tty else {
                containers.remove(id)
                throw EngineError(.invalidArgument, "runtime runc runs without a terminal here; drop -t or use the default runtime.")
            }
            record.state = .running
            record.startedAt = Timestamp.now().seconds
            try? containers.save(record)
            let code: Int32
            do {
                code = try RuncRunner.run(spec, bundleDirectory: base, id: id, stdin: stdin, stdout: stdout, stderr: stderr)
            } catch {
                containers.remove(id)
                throw EngineError(.invalidArgument, error.message, context: ["container": name])
            }
            record.state = .exited
            record.exitCode = code
            record.finishedAt = Timestamp.now().seconds
            if o.remove { containers.remove(id) } else { try? containers.save(record) }
            return RunResult(containerID: id, name: name, exitCode: code)
        }
        let process: LaunchedProcess
        do {
            process = try Launcher.start(spec, stdin: stdin, stdout: stdout, stderr: stderr)
        } catch {
            containers.remove(id)
            throw EngineError(.launchFailed, error.message, context: ["container": name, "image": o.image, "stage": error.stage ?? ""])
        }
        record.state = .running
        record.pid = process.pid
        record.startedAt = Timestamp.now().seconds
        try? containers.save(record)
        onStart?(id, name)
        if let master = process.terminal { onTerminal?(master) }
        let code = await Launcher.wait(process)
        record.state = .exited
        record.exitCode = code
        record.pid = nil
        record.finishedAt = Timestamp.now().seconds
        if o.remove {
            containers.remove(id)
        } else {
            try? containers.save(record)
        }
        return RunResult(containerID: id, name: name, exitCode: code)
    }

    /// Starts created (or exited) containers in the background under their monitors, like `docker start`.
    public func start(containers specs: [String]) throws(EngineError) -> [String] {
        let store = try containerStore()
        let running = Set(try containers(all: false).map(\.id))
        var started: [String] = []
        for spec in specs {
            let record: ContainerRecord
            do { record = try store.find(spec) } catch { throw EngineError(.notFound, error.message, context: ["container": spec]) }
            if running.contains(record.id) {
                started.append(spec)
                continue
            }
            _ = try startDetached(containers: store, record: record, autoRemove: record.autoRemove)
            started.append(spec)
        }
        return started
    }

    /// Docker's rule: later entries replace earlier ones with the same key.
    static func mergeEnvironment(_ base: [String], _ overrides: [String]) -> [String] {
        var out = base
        for kv in overrides {
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            out.removeAll { $0 == key || $0.hasPrefix(key + "=") }
            out.append(kv)
        }
        return out
    }

    /// Containers, newest first (`all`: stopped ones too). Records of processes that vanished read as exited.
    public func containers(all: Bool = true) throws(EngineError) -> [ContainerRecord] {
        try containerStore().all().map { r in
            var r = r
            if r.state == .running, let pid = r.pid, Glibc.kill(pid, 0) != 0, errno == ESRCH { r.state = .exited }
            return r
        }.filter { all || $0.state == .running }
    }

    /// Removes containers and their writable layers; a running one only with `force` (it is killed).
    public func removeContainers(_ specs: [String], force: Bool) throws(EngineError) -> [String] {
        let store = try containerStore()
        var removed: [String] = []
        for spec in specs {
            let record: ContainerRecord
            do { record = try store.find(spec) } catch { throw EngineError(.notFound, error.message, context: ["container": spec]) }
            let live = try containers().first { $0.id == record.id }?.state == .running
            if live {
                guard force, let pid = record.pid else {
                    throw EngineError(.conflict, "Container \(spec) is running; stop it first, or remove it with force.", context: ["container": spec])
                }
                Glibc.kill(pid, SIGKILL)
            }
            store.remove(record.id)
            removed.append(spec)
        }
        return removed
    }

    /// Turns a container's writable layer into a new image layer, with a new config and history entry.
    public func commit(
        container spec: String, reference: String?, changes: [String] = [], message: String? = nil, author: String? = nil
    ) async throws(EngineError) -> ImageRecord {
        let store = try containerStore()
        let record: ContainerRecord
        do { record = try store.find(spec) } catch { throw EngineError(.notFound, error.message, context: ["container": spec]) }
        // A running container is paused (freezer cgroup) while its layer is read, like docker commit.
        var frozen: Cgroups?
        if try containers().first(where: { $0.id == record.id })?.state == .running {
            let groups = Cgroups.existing(id: record.id)
            do { try groups.freeze(true) } catch {
                throw EngineError(.conflict, "Container \(spec) is running and cannot be paused (\(error.message)); stop it first, then commit.", context: ["container": spec])
            }
            frozen = groups
        }
        defer { try? frozen?.freeze(false) }
        let ref = try reference.map { r throws(EngineError) in try Self.reference(r) }
        let base = try await inspectImage(record.imageID)
        var config = base.config
        try ConfigChanges.apply(changes, to: &config.config)
        let upper = store.path(record.id) + "/upper"
        let created = Timestamp.now()
        return try await withStore { images throws(StoreError) in
            let layer = try await images.addLayer(from: upper, overlayUpper: true)
            config.created = created
            config.author = author ?? config.author
            config.diffIDs.append(layer.diffID)
            config.history.append(HistoryEntry(created: created, createdBy: record.command.joined(separator: " "), author: author, comment: message))
            let layers = base.manifest.layers.map { (digest: $0.digest, size: $0.size) } + [(digest: layer.diffID, size: layer.size)]
            return try await images.add(config: config, layers: layers, reference: ref)
        }
    }

    /// Chain IDs of the snapshots containers mount (kept by prune even when their image is gone).
    func snapshotsInUse() throws(EngineError) -> Set<Digest> {
        var out: Set<Digest> = []
        for c in try containers() {
            for dir in c.lowerDirectories {
                let parts = dir.split(separator: "/")
                if parts.count >= 2, let d = Digest(hex: String(parts[parts.count - 2])) { out.insert(d) }
            }
        }
        return out
    }

    /// Image IDs used by containers, with the container names (so `rmi` can refuse them).
    func imagesInUse() throws(EngineError) -> [Digest: [String]] {
        var out: [Digest: [String]] = [:]
        for c in try containers() { if let d = Digest(c.imageID) { out[d, default: []].append(c.name) } }
        return out
    }
}
