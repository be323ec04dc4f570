import System

/// How a detached container's monitor is started: this executable run again as `estiba __monitor --root ROOT ID`,
/// in a session of its own, holding none of this process's descriptors but a pipe on descriptor 3, where it writes
/// "ok" once the container runs, or why it could not start it.
public enum MonitorProcess {
    /// The hidden command of the `estiba` executable that runs a monitor (`Monitor.run`).
    public static let commandName = "__monitor"
    static let readyDescriptor: Int32 = 3

    /// The stages a monitor's start fails at (the error's `stage`): this process cannot find its own executable
    /// or make the report pipe; the monitor does not start; the monitor ran but the container did not start.
    public static let prepareStage = "prepare the monitor"
    public static let spawnStage = "start the monitor"
    public static let containerStage = "start the container"

    /// Starts the monitor of container `id` of the store at `root`; returns once the container runs.
    /// Failures name their stage; the container's own is `.invalidArgument`, the others `.internal`.
    public static func start(root: String, id: String) throws(EstibaError) {
        let executable: String
        let ready: Pipe
        do throws(EstibaError) {
            executable = try Processes.executablePath()
            ready = try Pipe()
        } catch {
            throw .runtime("Cannot prepare the container monitor: \(error.message)", stage: prepareStage, code: .internal)
        }
        var spawn = Spawn(executable: executable, arguments: ["estiba", commandName, "--root", root, id])
        spawn.descriptors = [
            0: .nullDevice(writable: false), 1: .nullDevice(writable: true), 2: .nullDevice(writable: true), readyDescriptor: .copy(ready.writeEnd),
        ]
        // The monitor (and so the container) must hold nothing of ours: a client waiting for our output would
        // otherwise wait for the container's end.
        spawn.closeOtherDescriptors = true
        spawn.newSession = true
        let pid: Int32
        do { pid = try spawn.start() } catch {
            throw .runtime("Cannot start the container monitor: \(error.message)", stage: spawnStage, code: .internal)
        }
        ready.writeEnd.close()
        // Reaped when it ends, so a long-lived process (the service) keeps no zombie of it.
        Processes.reapWhenDone(pid)
        let text = String(decoding: (try? ready.readEnd.readAll(upTo: 2048)) ?? [], as: UTF8.self)
        guard text == "ok" else {
            let reason = text.isEmpty ? "The container monitor stopped before the container started." : text
            throw .runtime(reason, stage: containerStage, code: .invalidArgument)
        }
    }
}
