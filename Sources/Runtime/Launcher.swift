import CLauncher
import System

/// A started container process.
public struct LaunchedProcess: Sendable {
    public let pid: Int32
    /// Its cgroups when it started a container with a cgroup (the waiter removes them).
    public var cgroups: Cgroups? = nil
    /// The terminal's master side when the spec asked for a terminal (the caller closes it).
    public let terminal: Int32?
    /// Its keeper, when it was started with one (see `Keeping`).
    public var keeper: KeeperLink? = nil
}

/// Starts containers through the C `clone()` launcher: namespaces, overlay root, /proc, /dev, read-only /sys,
/// pivot_root, masked /proc paths, a fresh session keyring, Docker's default capabilities and seccomp profile,
/// the device allow-list (in the container's cgroups) — then `estiba-entry` executes the command.
public enum Launcher {
    /// Starts `spec`'s first process with the given standard descriptors (-1: inherit). With `execInto`, runs
    /// `spec`'s command inside the running container whose first process has that pid (`exec`) instead.
    ///
    /// The child dies with the calling thread while it starts (so a caller killed mid-launch leaves nothing
    /// behind); with `tiedToThread` it keeps dying with that thread for good (SIGKILL, which ends the whole
    /// container): the caller must then call from a thread that lives as long as the container (see `supervise`).
    /// With `keeping`, a keeper process is its parent instead and it dies with that (see `Keeping`).
    /// `beforeStart` runs with the child's pid once it is in its cgroups, before its command may run (a bridge
    /// network is attached to its new namespace there, see `ContainerNetworking`); if it throws, the child goes.
    public static func start(
        _ spec: ContainerSpec, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, execInto: Int32? = nil,
        tiedToThread: Bool = false, keeping: Keeping? = nil, beforeStart: (@Sendable (Int32) throws(EstibaError) -> Void)? = nil
    ) throws(EstibaError) -> LaunchedProcess {
        guard !spec.arguments.isEmpty else {
            throw EstibaError.runtime("No command to run: give one, or use an image with CMD or ENTRYPOINT.")
        }
        let entry = try EntryProgram.descriptor.get()
        let seccompProgram = try spec.seccomp.map { (f: SeccompFilter) throws(EstibaError) in try SeccompCompiler.program(for: f) } ?? []
        guard seccompProgram.count / 8 <= Int(UInt16.max) else {
            throw EstibaError.runtime("The seccomp profile compiles to more than 65,535 instructions; give a smaller profile.", stage: "seccomp")
        }
        // The launcher reports why a start failed on this pipe; the child waits on `sync` until it is in its cgroups
        // (a socket pair: a byte sent to a child that died fails with EPIPE, never SIGPIPE).
        let errorPipe: Pipe
        let sync: SocketPair
        // With a terminal, the launcher sends the terminal's master side back on this socket.
        let console: SocketPair?
        // A kept container's pid, then its exit code, come from its keeper on this pipe.
        let status: Pipe?
        do throws(EstibaError) {
            errorPipe = try Pipe()
            sync = try SocketPair()
            console = spec.terminal ? try SocketPair() : nil
            status = keeping != nil ? try Pipe() : nil
        } catch {
            throw error.recoded(.launchFailed)
        }

        let memory = CMemory()
        var config = estiba_launch()
        config.merged = memory.string(spec.mountPoint)
        config.overlay_options = memory.string(spec.root.mount.options)
        config.argv = memory.strings(spec.arguments)
        config.envp = memory.strings(spec.environment)
        config.cwd = memory.string(spec.workingDirectory)
        config.hostname = memory.string(spec.hostname)
        config.hosts_file = memory.string(spec.hostsFile)
        config.hostname_file = memory.string(spec.hostnameFile)
        config.resolv_file = memory.string(spec.resolvFile)
        config.host_network = spec.network == .host ? 1 : 0
        config.readonly_root = spec.readOnlyRoot ? 1 : 0
        config.uid = spec.user.uid
        config.gid = spec.user.gid
        config.groups = memory.array(spec.user.groups)
        config.ngroups = Int32(spec.user.groups.count)
        config.stdin_fd = stdin
        config.stdout_fd = stdout
        config.stderr_fd = stderr
        config.console_socket = console?.second.rawValue ?? -1
        if let size = spec.terminalSize, size.isKnown {
            config.window_rows = size.rows
            config.window_columns = size.columns
        }
        config.mount_sources = memory.strings(spec.mounts.map(\.source))
        config.mount_targets = memory.strings(spec.mounts.map(\.target))
        config.mount_readonly = memory.array(spec.mounts.map { Int32($0.readOnly ? 1 : 0) })
        config.nmounts = Int32(spec.mounts.count)
        config.error_fd = errorPipe.writeEnd.rawValue
        config.sync_fd = sync.second.rawValue
        config.sync_peer_fd = sync.first.rawValue
        config.started_fd = -1
        config.parent_pid = Processes.currentID
        config.parent_death_signal = tiedToThread || keeping != nil ? Signal.kill.rawValue : 0
        config.entry_fd = entry
        if !seccompProgram.isEmpty {
            config.seccomp_filter = UnsafeRawPointer(memory.array(seccompProgram))
            config.seccomp_length = UInt16(seccompProgram.count / 8)
        }
        config.no_new_privs = spec.noNewPrivileges ? 1 : 0
        config.device_nodes = memory.array(spec.devices.map { memory.node($0) })
        config.ndevice_nodes = Int32(spec.devices.count)
        config.dev_nodes = memory.array(spec.policy.deviceNodes.map { memory.node($0) })
        config.ndev_nodes = Int32(spec.policy.deviceNodes.count)
        config.masked_paths = memory.strings(spec.policy.maskedPaths)
        config.readonly_paths = memory.strings(spec.policy.readonlyPaths)
        config.capabilities = memory.array(spec.policy.capabilities.map(\.number))
        config.ncapabilities = Int32(spec.policy.capabilities.count)
        config.default_path = memory.string(DefaultPath.value)
        var keeper: KeeperLink?
        let pid: Int32 = withExtendedLifetime(memory) {
            if let target = execInto { return estiba_exec(&config, target) }
            guard let keeping, let status else { return estiba_launch(&config) }
            var k = estiba_keeper()
            k.status_fd = status.writeEnd.rawValue
            let exitFile: String = keeping.exitFile
            let staging: String = keeping.exitFile + ".new"
            k.exit_file = memory.string(exitFile)
            k.exit_file_staging = memory.string(staging)
            k.settle_argv = keeping.settleCommand.map { memory.strings($0) }
            let keeperPid = estiba_launch_kept(&config, &k)
            status.writeEnd.close()
            guard keeperPid > 0 else { return keeperPid }
            let link = KeeperLink(pid: keeperPid, status: status.readEnd)
            keeper = link
            return link.readCode() ?? -ErrorNumber.inputOutput
        }
        errorPipe.writeEnd.close()
        sync.second.close()
        console?.second.close()
        if pid < 0 {
            _ = keeper?.finish()
            throw EstibaError.runtime("Cannot create the container's namespaces: \(ErrorNumber.text(-pid)).", stage: "clone")
        }
        /// Kills and reaps a process that could not be started completely.
        func end() {
            try? Processes.send(.kill, to: pid)
            if let keeper { _ = keeper.finish() } else { _ = try? Processes.wait(for: pid) }
        }
        // Into its cgroups (new ones for a container; the container's for an exec), then let it go.
        var cgroups: Cgroups?
        if let id = spec.cgroupID {
            do {
                if execInto != nil {
                    try Cgroups.existing(id: id).add(pid)
                } else {
                    let made = try Cgroups.create(id: id, limits: spec.limits, devices: spec.deviceRules)
                    cgroups = made
                    try made.add(pid)
                }
            } catch {
                end()
                cgroups?.remove()
                throw error
            }
        }
        if let beforeStart {
            do { try beforeStart(pid) } catch {
                end()
                cgroups?.remove()
                throw error
            }
        }
        if let keeper, let keeping, !keeping.announce(pid, keeper.pid) {
            // Not recorded: never let go. The child ends at once, and its keeper records that it never started.
            sync.first.close()
            _ = keeper.finish()
            cgroups?.remove()
            throw EstibaError.runtime(
                "The container's record could not be written, so it was not started. Check that the store's disk has room and is writable, then run it again.",
                stage: "record")
        }
        try? sync.first.send([1])
        sync.first.close()
        // The pipe closes on a successful exec; anything read is the reason the start failed.
        let message = (try? errorPipe.readEnd.readAll(upTo: 1024)) ?? []
        if !message.isEmpty {
            if let keeper { _ = keeper.finish() } else { _ = try? Processes.wait(for: pid) }
            cgroups?.remove()
            throw Self.startFailure(message, spec)
        }
        var terminal: Int32?
        if let console {
            let master = estiba_receive_fd(console.first.rawValue)
            guard master >= 0 else {
                end()
                throw EstibaError.runtime("The container's terminal could not be set up.", stage: "set up the terminal")
            }
            terminal = master
        }
        return LaunchedProcess(pid: pid, cgroups: cgroups, terminal: terminal, keeper: keeper)
    }

    /// The error for the reason a child wrote on the error pipe ("stage: reason").
    static func startFailure(_ message: [UInt8], _ spec: ContainerSpec) -> EstibaError {
        let text = String(decoding: message, as: UTF8.self)
        let stage = text.split(separator: ":").first.map(String.init)
        if stage == "start the command" {
            let reason = String(text.dropFirst((stage?.count ?? 0) + 2))
            let missing = [ErrorNumber.notFound, ErrorNumber.notDirectory].contains { reason == ErrorNumber.text($0) }
            return EstibaError.runtime(
                "Cannot run \(spec.arguments[0]) in the container: \(reason). Check that the command exists in the image.",
                stage: missing ? EstibaError.commandNotFoundStage : EstibaError.commandNotExecutableStage)
        }
        return EstibaError.runtime("The container could not start: \(text).", stage: stage)
    }

    /// Waits for the process on a dedicated thread (never blocking the concurrency pool); returns its exit code
    /// (128 + signal when killed).
    public static func wait(_ process: LaunchedProcess) async -> Int32 {
        if let keeper = process.keeper {
            return await runOnThread(stackSize: 256 << 10) { () -> Int32 in
                let code = keeper.finish()
                process.cgroups?.remove()
                return code
            }
        }
        return await exitCode(of: process.pid) { process.cgroups?.remove() }
    }
}

/// Waits for child `pid` on a thread of its own, runs `afterwards` there (so a slow clean-up never holds a thread of
/// the concurrency pool), and returns the exit code (128 + signal when killed; 255 when it cannot be waited for).
func exitCode(of pid: Int32, afterwards: @escaping @Sendable () -> Void) async -> Int32 {
    await runOnThread(stackSize: 256 << 10) { () -> Int32 in
        let code = (try? Processes.wait(for: pid))?.exitCode ?? 255
        afterwards()
        return code
    }
}
