import Glibc

/// Runs a container's bundle with runc instead of Estiba's own launcher (for comparison and differential tests):
/// the overlay root is mounted on the bundle's rootfs in the host's mount namespace for the run, then removed.
public enum RuncRunner {
    /// Runs `runc run` on the bundle in `bundleDirectory` (its config.json must describe `spec`); returns the exit code.
    public static func run(
        _ spec: ContainerSpec, bundleDirectory: String, id: String, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(RuntimeError) -> Int32 {
        let options = "lowerdir=\(spec.lowerDirectories.joined(separator: ":")),upperdir=\(spec.upperDirectory),workdir=\(spec.workDirectory)"
        guard mount("overlay", spec.mountPoint, "overlay", 0, options) == 0 else {
            throw RuntimeError("Cannot mount the overlay root for runc: \(String(cString: strerror(errno))).", stage: "mount the overlay root")
        }
        defer { umount2(spec.mountPoint, Int32(MNT_DETACH)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] where fd >= 0 {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        }
        let argv = ["runc", "--root", "/run/estiba/runc", "run", "--bundle", bundleDirectory, id]
        var pid: pid_t = 0
        let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        let rc = CStrings.with(argv) { args in
            CStrings.with(environment) { env in
                args.withMemoryRebound(to: UnsafeMutablePointer<CChar>?.self, capacity: argv.count + 1) { a in
                    env.withMemoryRebound(to: UnsafeMutablePointer<CChar>?.self, capacity: environment.count + 1) { e in
                        posix_spawnp(&pid, "runc", &actions, nil, a, e)
                    }
                }
            }
        }
        guard rc == 0 else { throw RuntimeError("Cannot start runc: \(String(cString: strerror(rc))). Install runc to use runtime runc.") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return LauncherExitCode.of(status)
    }
}

/// The exit code of a wait status (128 + signal when killed).
enum LauncherExitCode {
    static func of(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        if signal == 0 { return (status >> 8) & 0xFF }
        return 128 + signal
    }
}
