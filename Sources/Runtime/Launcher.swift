import CLauncher
import Glibc

/// A started container process.
public struct LaunchedProcess: Sendable {
    public let pid: Int32
    /// Its cgroups when it started a container with a cgroup (the waiter removes them).
    public var cgroups: Cgroups? = nil
    /// The terminal's master side when the spec asked for a terminal (the caller closes it).
    public let terminal: Int32?
}

/// Starts containers through the C `clone()` launcher: namespaces, overlay root, /proc, /dev, read-only /sys,
/// pivot_root, masked /proc paths, a fresh session keyring, Docker's default capabilities and seccomp profile,
/// the device allow-list (in the container's cgroups) — then `estiba-entry` executes the command.
public enum Launcher {
    /// Starts `spec`'s first process with the given standard descriptors (-1: inherit). With `execInto`, runs
    /// `spec`'s command inside the running container whose first process has that pid (`exec`) instead.
    public static func start(
        _ spec: ContainerSpec, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, execInto: Int32? = nil
    ) throws(RuntimeError) -> LaunchedProcess {
        guard !spec.arguments.isEmpty else {
            throw RuntimeError("No command to run: give one, or use an image with CMD or ENTRYPOINT.")
        }
        let entry = try EntryProgram.descriptor.get()
        let seccompProgram = try spec.seccomp.map { (f: SeccompFilter) throws(RuntimeError) in try SeccompCompiler.program(for: f) } ?? []
        guard seccompProgram.count / 8 <= Int(UInt16.max) else {
            throw RuntimeError("The seccomp profile compiles to more than 65,535 instructions; give a smaller profile.", stage: "seccomp")
        }
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&errorPipe) == 0 else { throw RuntimeError("Cannot create a pipe: \(String(cString: strerror(errno))).") }
        _ = fcntl(errorPipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(errorPipe[1], F_SETFD, FD_CLOEXEC)
        defer { close(errorPipe[0]) }
        // The child waits on this pipe until it is in its cgroups.
        var sync: [Int32] = [-1, -1]
        guard pipe(&sync) == 0 else { throw RuntimeError("Cannot create a pipe: \(String(cString: strerror(errno))).") }
        _ = fcntl(sync[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(sync[1], F_SETFD, FD_CLOEXEC)
        defer {
            if sync[1] >= 0 { close(sync[1]) }
        }
        var console: [Int32] = [-1, -1]
        if spec.terminal {
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &console) == 0 else {
                throw RuntimeError("Cannot create a socket pair: \(String(cString: strerror(errno))).")
            }
            _ = fcntl(console[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(console[1], F_SETFD, FD_CLOEXEC)
        }
        defer {
            if console[0] >= 0 { close(console[0]) }
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
        config.groups = memory.array(spec.user.groups.map { gid_t($0) })
        config.ngroups = Int32(spec.user.groups.count)
        config.stdin_fd = stdin
        config.stdout_fd = stdout
        config.stderr_fd = stderr
        config.console_socket = console[1]
        config.mount_sources = memory.strings(spec.mounts.map(\.source))
        config.mount_targets = memory.strings(spec.mounts.map(\.target))
        config.mount_readonly = memory.array(spec.mounts.map { Int32($0.readOnly ? 1 : 0) })
        config.nmounts = Int32(spec.mounts.count)
        config.error_fd = errorPipe[1]
        config.sync_fd = sync[0]
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
        let pid: pid_t = withExtendedLifetime(memory) {
            if let target = execInto { return estiba_exec(&config, target) }
            return estiba_launch(&config)
        }
        close(errorPipe[1])
        close(sync[0])
        if console[1] >= 0 { close(console[1]) }
        if pid < 0 { throw RuntimeError("Cannot create the container's namespaces: \(String(cString: strerror(-pid))).", stage: "clone") }
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
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                cgroups?.remove()
                throw error
            }
        }
        var go: UInt8 = 1
        _ = write(sync[1], &go, 1)
        close(sync[1])
        sync[1] = -1
        // The pipe closes on a successful exec; anything read is the reason the start failed.
        let message = FileContents.read(descriptor: errorPipe[0], limit: 1024) ?? []
        if !message.isEmpty {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let text = String(decoding: message, as: UTF8.self)
            let stage = text.split(separator: ":").first.map(String.init)
            cgroups?.remove()
            if stage == "start the command" {
                let reason = String(text.dropFirst((stage?.count ?? 0) + 2))
                let missing = reason == String(cString: strerror(ENOENT)) || reason == String(cString: strerror(ENOTDIR))
                throw RuntimeError(
                    "Cannot run \(spec.arguments[0]) in the container: \(reason). Check that the command exists in the image.",
                    stage: missing ? RuntimeError.commandNotFound : RuntimeError.commandNotExecutable)
            }
            throw RuntimeError("The container could not start: \(text).", stage: stage)
        }
        var terminal: Int32?
        if spec.terminal {
            let master = estiba_receive_fd(console[0])
            guard master >= 0 else {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                throw RuntimeError("The container's terminal could not be set up.", stage: "set up the terminal")
            }
            terminal = master
        }
        return LaunchedProcess(pid: pid, cgroups: cgroups, terminal: terminal)
    }

    /// Waits for the process on a dedicated thread (never blocking the concurrency pool); returns its exit code
    /// (128 + signal when killed).
    public static func wait(_ process: LaunchedProcess) async -> Int32 {
        await exitCode(of: process.pid) { process.cgroups?.remove() }
    }
}

/// Waits for child `pid` on a thread of its own, runs `afterwards`, and returns the exit code (128 + signal when
/// killed; 255 when it cannot be waited for).
func exitCode(of pid: Int32, afterwards: @escaping @Sendable () -> Void) async -> Int32 {
    await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
        spawnWaiter {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                if errno != EINTR {
                    afterwards()
                    continuation.resume(returning: 255)
                    return
                }
            }
            afterwards()
            continuation.resume(returning: estiba_exit_code(status))
        }
    }
}

private final class WaiterBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// A detached thread for a blocking wait.
func spawnWaiter(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(WaiterBody(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { p in
        guard let p else { return nil }
        Unmanaged<WaiterBody>.fromOpaque(p).takeRetainedValue().run()
        return nil
    }, box)
    if rc == 0 { pthread_detach(tid) } else { Unmanaged<WaiterBody>.fromOpaque(box).takeRetainedValue().run() }
}
