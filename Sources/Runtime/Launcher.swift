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
        let lowers = spec.lowerDirectories.joined(separator: ":")
        let options = "lowerdir=\(lowers),upperdir=\(spec.upperDirectory),workdir=\(spec.workDirectory)"
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

        let readOnly = spec.mounts.map { Int32($0.readOnly ? 1 : 0) }
        let pid: pid_t = CStrings.with(spec.devices.map(\.path)) { devicePaths in
        CStrings.with(spec.mounts.map(\.source)) { mountSources in
        CStrings.with(spec.mounts.map(\.target)) { mountTargets in
        readOnly.withUnsafeBufferPointer { readOnlyBuffer in
        CStrings.with(spec.arguments) { argv in
            CStrings.with(spec.environment) { envp in
                let groups = spec.user.groups.map { gid_t($0) }
                return groups.withUnsafeBufferPointer { groupBuffer in
                    withOptionalCString(spec.hostsFile) { hosts in
                        withOptionalCString(spec.hostnameFile) { hostnameFile in
                            withOptionalCString(spec.resolvFile) { resolv in
                                var config = estiba_launch(
                                    merged: nil, overlay_options: nil, argv: argv, envp: envp, cwd: nil, hostname: nil,
                                    hosts_file: hosts, hostname_file: hostnameFile, resolv_file: resolv,
                                    host_network: spec.network == .host ? 1 : 0, readonly_root: spec.readOnlyRoot ? 1 : 0,
                                    uid: spec.user.uid, gid: spec.user.gid, groups: groupBuffer.baseAddress,
                                    ngroups: Int32(groups.count), stdin_fd: stdin, stdout_fd: stdout, stderr_fd: stderr,
                                    console_socket: console[1], mount_sources: mountSources, mount_targets: mountTargets,
                                    mount_readonly: readOnlyBuffer.baseAddress, nmounts: Int32(spec.mounts.count), error_fd: errorPipe[1],
                                    sync_fd: sync[0], entry_fd: entry, seccomp_filter: nil, seccomp_length: 0,
                                    no_new_privs: spec.noNewPrivileges ? 1 : 0, device_nodes: nil, ndevice_nodes: 0)
                                let nodes = spec.devices.enumerated().map { i, d in
                                    estiba_device_node(
                                        path: devicePaths[i], type: CChar(UInt8(ascii: d.type == "b" ? "b" : "c")), major: d.major,
                                        minor: d.minor, mode: d.mode, uid: d.uid, gid: d.gid)
                                }
                                return nodes.withUnsafeBufferPointer { nodeBuffer in
                                seccompProgram.withUnsafeBytes { program in
                                config.device_nodes = nodeBuffer.baseAddress
                                config.ndevice_nodes = Int32(nodeBuffer.count)
                                if !seccompProgram.isEmpty {
                                    config.seccomp_filter = program.baseAddress
                                    config.seccomp_length = UInt16(seccompProgram.count / 8)
                                }
                                return spec.mountPoint.withCString { merged in
                                    options.withCString { opts in
                                        spec.workingDirectory.withCString { cwd in
                                            spec.hostname.withCString { host in
                                                config.merged = merged
                                                config.overlay_options = opts
                                                config.cwd = cwd
                                                config.hostname = host
                                                if let target = execInto { return estiba_exec(&config, target) }
                                                return estiba_launch(&config)
                                            }
                                        }
                                    }
                                }
                                }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
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
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let pid = process.pid
            spawnWaiter {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 {
                    if errno != EINTR {
                        continuation.resume(returning: 255)
                        return
                    }
                }
                process.cgroups?.remove()
                continuation.resume(returning: estiba_exit_code(status))
            }
        }
    }
}

/// NULL-terminated C string arrays that live for the duration of a call.
enum CStrings {
    static func with<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: strings.count + 1)
        let copies = strings.map { strdup($0) }
        for (i, c) in copies.enumerated() { (array + i).initialize(to: c.map { UnsafePointer($0) }) }
        (array + strings.count).initialize(to: nil)
        defer {
            copies.forEach { free($0) }
            array.deallocate()
        }
        return body(UnsafePointer(array))
    }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
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
