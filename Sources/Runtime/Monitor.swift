import EstibaJSON
import System

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
        let ready = FileDescriptor(adopting: readyFD, path: "the readiness pipe")
        // The container must not inherit the readiness pipe, or its reader would wait for the container's end.
        try? ready.setInheritable(false)
        func report(_ text: String) {
            try? ready.writeAll(text)
            ready.close()
        }
        guard var record = store.record(id),
            let bundle = (try? Files.read(base + "/config.json")).flatMap({ try? JSONValue.parse($0) })
        else {
            report("The container \(id) has no record or bundle.")
            return 1
        }
        let spec: ContainerSpec
        do { spec = try Bundle.spec(from: bundle, directory: base) } catch {
            report(error.message)
            return 1
        }
        let process: LaunchedProcess
        do {
            // On a bridge network: attached while it waits to start, released by `recordExit` or `remove`.
            let attach = try ContainerNetworking.attacher(root: PathText.parent(store.directory), directory: base, record: record)
            // Without a log (it cannot be opened) the output goes where the monitor's goes: nowhere.
            let log = try? FileDescriptor.open(base + "/container.log", [.writeOnly, .create, .append], permissions: 0o640)
            let input = try? FileDescriptor.open("/dev/null")
            // Tied to this thread, which waits for it below: the container never outlives its monitor.
            let output = log?.rawValue ?? -1
            process = try withExtendedLifetime((log, input)) { () throws(EstibaError) in
                try Launcher.start(spec, stdin: input?.rawValue ?? -1, stdout: output, stderr: output, tiedToThread: true, beforeStart: attach)
            }
        } catch {
            // The container stays as it was (its starter removes one `run -d` made); what was attached goes.
            ContainerNetworking.release(containerID: id)
            report(error.message)
            return 1
        }
        record.state = .running
        record.pid = process.pid
        record.monitorPid = Processes.currentID
        record.startedAt = Clocks.wallSeconds
        record.publishedPorts = ContainerNetworking.attachments(of: id).flatMap(\.ports)
        record.takeNetworks(of: store.record(id))
        try? store.save(record)
        report("ok")
        let status = try? Processes.wait(for: process.pid)
        process.cgroups?.remove()
        store.recordExit(record, code: status?.exitCode ?? 255)
        return 0
    }
}
