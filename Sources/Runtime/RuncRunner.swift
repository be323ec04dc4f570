import EstibaJSON
import System

/// Runs a container's bundle with runc instead of Estiba's own launcher (for comparison and differential tests):
/// the overlay root is mounted on the bundle's rootfs in the host's mount namespace for the run, then removed.
public enum RuncRunner {
    /// A started `runc run`.
    public struct Process: Sendable {
        public let pid: Int32
        let mountPoint: String
    }

    /// Starts `runc run` on the bundle in `bundleDirectory` (its config.json must describe `spec`). With
    /// `createRuntimeHook` (a command, its path first), the config gets it as its createRuntime hook: runc runs it
    /// with the container's state (its pid) on standard input once its namespaces exist, before its command runs —
    /// how a bridge network is attached (see `ContainerNetworking`).
    public static func start(
        _ spec: ContainerSpec, bundleDirectory: String, id: String, stdin: Int32, stdout: Int32, stderr: Int32,
        createRuntimeHook: [String]? = nil
    ) throws(EstibaError) -> Process {
        if let hook = createRuntimeHook, let path = hook.first, case .object(var config) = Bundle.config(spec) {
            config.append("hooks", ["createRuntime": [["path": .string(path), "args": JSONValue(hook)]]])
            do { try AtomicFile.write(JSONValue.object(config).encodedPretty(), to: bundleDirectory + "/config.json") } catch {
                throw error.recoded(.io)
            }
        }
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
