import CLauncher
import EstibaJSON
import Glibc

/// The per-container monitor of a detached container (like conmon): a process of its own, in its own session, that
/// starts the container with its output going to `container.log`, records its pid, waits for it and records the
/// exit code. It does not depend on the client or the service, so the container outlives both.
public enum Monitor {
    /// What `estiba __monitor` does for container `id` of the store at `root`: its exit status.
    public static func run(root: String, id: String) -> Int32 {
        guard let store = try? ContainerStore(root: root) else { return 1 }
        return run(store: store, id: id, readyFD: MonitorProcess.readyDescriptor)
    }

    /// Runs the monitor for container `id` (in this process, which should be `estiba __monitor`). `readyFD` gets
    /// "ok" once the container runs, or the reason it could not start.
    static func run(store: ContainerStore, id: String, readyFD: Int32) -> Int32 {
        let base = store.path(id)
        // The container must not inherit the readiness pipe, or its reader would wait for the container's end.
        _ = fcntl(readyFD, F_SETFD, FD_CLOEXEC)
        func report(_ text: String) {
            _ = text.withCString { write(readyFD, $0, strlen($0)) }
            close(readyFD)
        }
        guard var record = FileContents.read(base + "/record.json").flatMap({ try? JSONValue.parse($0) }).flatMap(ContainerRecord.init(json:)),
            let bundle = FileContents.read(base + "/config.json").flatMap({ try? JSONValue.parse($0) })
        else {
            report("The container \(id) has no record or bundle.")
            return 1
        }
        let spec: ContainerSpec
        do { spec = try Bundle.spec(from: bundle, directory: base) } catch {
            report(error.message)
            return 1
        }
        let log = open(base + "/container.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let process: LaunchedProcess
        do {
            process = try Launcher.start(spec, stdin: devNull, stdout: log, stderr: log)
        } catch {
            report(error.message)
            store.remove(id)
            return 1
        }
        close(devNull)
        close(log)
        record.state = .running
        record.pid = process.pid
        record.monitorPid = getpid()
        record.startedAt = Int64(time(nil))
        try? store.save(record)
        report("ok")
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) < 0, errno == EINTR {}
        process.cgroups?.remove()
        record.state = .exited
        record.exitCode = estiba_exit_code(status)
        record.pid = nil
        record.monitorPid = nil
        record.finishedAt = Int64(time(nil))
        if record.autoRemove { store.remove(id) } else { try? store.save(record) }
        return 0
    }
}
