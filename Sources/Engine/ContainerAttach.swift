import Runtime
import System

/// A piece of an attached process's output, and its source (stdout, stderr or the terminal).
public typealias OutputChunk = Runtime::OutputChunk

/// A process a front end is attached to (a container's first process, or an `exec`): its output as a stream of
/// chunks (stdout and stderr apart, or the terminal's bytes), its input, its terminal's size, and its exit code.
public struct AttachedProcess: Sendable {
    /// The container's ID and name (for an exec: the container it runs in).
    public let containerID: String
    public let name: String
    let streams: ProcessStreams
    private let exit: Task<Int32, Never>
    /// The process that gets SIGHUP when the client leaves, when it has a terminal.
    private let hangUpTarget: Int32?

    init(containerID: String, name: String, streams: ProcessStreams, exit: Task<Int32, Never>, hangUpTarget: Int32? = nil) {
        self.containerID = containerID
        self.name = name
        self.streams = streams
        self.exit = exit
        self.hangUpTarget = hangUpTarget
    }

    /// The attached client went away: the process's input ends and, with a terminal, it gets SIGHUP (as with
    /// Docker). The process runs on to its exit, which is recorded (and `--rm` honoured) as usual.
    public func clientLeft() {
        streams.closeInput()
        if let hangUpTarget { try? Processes.send(.hangup, to: hangUpTarget) }
    }

    /// Everything the process writes; it ends once the process (and all it started) closed its output.
    public var output: AsyncStream<OutputChunk> { streams.output }

    /// Sends `bytes` to the process's input; returns once it took them in.
    public func write(_ bytes: [UInt8]) async throws(EstibaError) {
        do { try await streams.write(bytes) } catch { throw error.recoded(.conflict).adding(["container": name]) }
    }

    /// Ends the process's input (a Ctrl-D on a terminal).
    public func closeInput() { streams.closeInput() }

    /// Sets the terminal's size.
    public func resize(rows: UInt16, columns: UInt16) throws(EstibaError) {
        do { try streams.resize(rows: rows, columns: columns) } catch {
            throw error.recoded(.invalidArgument).adding(["container": name])
        }
    }

    /// The process's exit code (128 + signal when killed), once it has exited and, for a container, its exit is
    /// recorded.
    public func exitCode() async -> Int32 { await exit.value }
}

extension Engine {
    /// Runs a container and attaches to it: the create and start steps, then its streams. With `interactive` its
    /// input stays open for `write` (else it reads /dev/null). Detached and created-only containers have nothing to
    /// attach to: `run` starts those.
    public func runAttached(_ o: RunOptions, interactive: Bool = false) async throws(EstibaError) -> AttachedProcess {
        guard !o.detach, !o.createOnly else {
            throw EstibaError(.invalidArgument, "A detached or created-only container has no streams to attach to; run it attached (without detach or createOnly), or start it with run.")
        }
        let created = try await createContainer(o)
        let streams: ProcessStreams
        do { streams = try ProcessStreams(terminal: o.tty, interactive: interactive) } catch {
            created.store.remove(created.record.id)
            throw error.recoded(.io)
        }
        let process: ForegroundProcess
        do { process = try await startForeground(created, o, stdin: streams.processStdin, stdout: streams.processStdout, stderr: streams.processStderr) } catch {
            streams.abandon()
            throw error
        }
        streams.attach(master: process.terminal)
        let exit = Task { await self.waitForExit(process, remove: o.remove) }
        return AttachedProcess(
            containerID: created.record.id, name: created.record.name, streams: streams, exit: exit,
            hangUpTarget: o.tty ? process.record.pid : nil)
    }

    /// Runs a command in a running container and attaches to it (`exec`; see `exec` for the options).
    public func execAttached(
        container spec: String, command: [String], environment: [String] = [], user: String? = nil, workingDirectory: String? = nil,
        tty: Bool = false, terminalSize: TerminalSize? = nil, interactive: Bool = false
    ) async throws(EstibaError) -> AttachedProcess {
        let (record, process) = try execSpec(
            container: spec, command: command, environment: environment, user: user, workingDirectory: workingDirectory, tty: tty,
            terminalSize: terminalSize)
        let streams: ProcessStreams
        do { streams = try ProcessStreams(terminal: tty, interactive: interactive) } catch { throw error.recoded(.io) }
        let launched: LaunchedProcess
        do { launched = try launchExec(process, into: record, as: spec, stdin: streams.processStdin, stdout: streams.processStdout, stderr: streams.processStderr) } catch {
            streams.abandon()
            throw error
        }
        streams.attach(master: launched.terminal)
        let exit = Task { await Launcher.wait(launched) }
        return AttachedProcess(containerID: record.id, name: record.name, streams: streams, exit: exit)
    }
}
