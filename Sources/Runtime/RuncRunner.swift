import System

/// Runs a container's bundle with runc instead of Estiba's own launcher (for comparison and differential tests):
/// the overlay root is mounted on the bundle's rootfs in the host's mount namespace for the run, then removed.
public enum RuncRunner {
    /// A started `runc run`.
    public struct Process: Sendable {
        public let pid: Int32
        let mountPoint: String
    }

    /// Starts `runc run` on the bundle in `bundleDirectory` (its config.json must describe `spec`).
    public static func start(
        _ spec: ContainerSpec, bundleDirectory: String, id: String, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(EstibaError) -> Process {
        try spec.root.mount.mount(on: spec.mountPoint)
        var spawn = Spawn(
            executable: "runc", arguments: ["runc", "--root", "/run/estiba/runc", "run", "--bundle", bundleDirectory, id],
            environment: [DefaultPath.variable])
        spawn.searchPath = true
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] where fd >= 0 {
            spawn.descriptors[target] = .copy(FileDescriptor(borrowing: fd))
        }
        let pid: Int32
        do { pid = try spawn.start() } catch {
            try? Mounts.detach(spec.mountPoint)
            throw EstibaError.runtime(cannot: "start runc", error, advice: "Install runc to use runtime runc.")
        }
        return Process(pid: pid, mountPoint: spec.mountPoint)
    }

    /// Waits for runc on a thread of its own, then unmounts the root; returns the exit code (128 + signal when
    /// killed).
    public static func wait(_ process: Process) async -> Int32 {
        await exitCode(of: process.pid) { try? Mounts.detach(process.mountPoint) }
    }
}
