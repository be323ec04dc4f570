import Glibc

/// How a detached container's monitor is started: this executable run again as `estiba __monitor --root ROOT ID`,
/// in a session of its own, holding none of this process's descriptors but a pipe on descriptor 3, where it writes
/// "ok" once the container runs, or why it could not start it.
public enum MonitorProcess {
    /// The hidden command of the `estiba` executable that runs a monitor (`Monitor.run`).
    public static let commandName = "__monitor"
    static let readyDescriptor: Int32 = 3

    /// Why a monitor did not start its container (each with a message that says so).
    public enum Failure: Error, Sendable {
        /// This process cannot find its own executable, or make the pipe the monitor reports on.
        case unprepared(String)
        case spawnFailed(String)
        /// The monitor ran, but the container did not start.
        case containerFailed(String)
    }

    /// Starts the monitor of container `id` of the store at `root`; returns once the container runs.
    public static func start(root: String, id: String) throws(Failure) {
        var exe = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &exe, Int(PATH_MAX))
        guard n > 0 else { throw .unprepared("Cannot find the estiba executable to start a container monitor.") }
        exe[n] = 0
        var ready: [Int32] = [-1, -1]
        guard pipe(&ready) == 0 else { throw .unprepared("Cannot create a pipe for the container monitor.") }
        _ = fcntl(ready[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ready[1], F_SETFD, FD_CLOEXEC)
        defer { close(ready[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, ready[1], readyDescriptor)
        // The monitor (and so the container) must hold nothing of ours: a client waiting for our output would
        // otherwise wait for the container's end.
        for fd in openDescriptors() where fd > readyDescriptor && fd != ready[1] { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID: its own session, detached from ours
        let memory = CMemory()
        let argv = memory.mutableStrings(["estiba", commandName, "--root", root, id])
        var pid: pid_t = 0
        let rc = withExtendedLifetime(memory) { posix_spawn(&pid, exe, &actions, &attributes, argv, environ) }
        close(ready[1])
        guard rc == 0 else {
            throw .spawnFailed("Cannot start the container monitor: \(String(cString: strerror(rc))).")
        }
        // Reaped when it ends, so a long-lived process (the service) keeps no zombie of it.
        let monitor = pid
        spawnWaiter {
            var status: Int32 = 0
            while waitpid(monitor, &status, 0) < 0, errno == EINTR {}
        }
        let text = String(decoding: FileContents.read(descriptor: ready[0], limit: 2048) ?? [], as: UTF8.self)
        guard text == "ok" else { throw .containerFailed(text.isEmpty ? "The container monitor stopped before the container started." : text) }
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
}
