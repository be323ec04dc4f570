import Synchronization
import System

/// A container process started and waited for by one thread of its own, which lives exactly as long as the
/// process. Without a keeper the process is tied to that thread (it gets SIGKILL when the thread ends), so it
/// never outlives the engine process that runs it, even one killed with SIGKILL; with one (`Keeping`) it is tied to
/// its keeper instead, which outlives this process, and the thread waits for the keeper's report.
public struct SupervisedProcess: Sendable {
    public let process: LaunchedProcess
    private let exit: ExitCell

    public var pid: Int32 { process.pid }
    /// The terminal's master side when the spec asked for a terminal (the caller closes it).
    public var terminal: Int32? { process.terminal }

    /// Starts `spec` (see `Launcher.start`) on a new thread that then waits for it and removes its cgroups.
    public static func start(
        _ spec: ContainerSpec, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, keeping: Keeping? = nil,
        beforeStart: (@Sendable (Int32) throws(EstibaError) -> Void)? = nil
    ) async throws(EstibaError) -> SupervisedProcess {
        let exit = ExitCell()
        let started: Result<LaunchedProcess, EstibaError> = await withCheckedContinuation { continuation in
            startThread(stackSize: 1 << 20) {
                let result: Result<LaunchedProcess, EstibaError>
                do throws(EstibaError) {
                    result = .success(
                        try Launcher.start(spec, stdin: stdin, stdout: stdout, stderr: stderr, tiedToThread: keeping == nil, keeping: keeping, beforeStart: beforeStart))
                } catch {
                    result = .failure(error)
                }
                continuation.resume(returning: result)
                guard case .success(let process) = result else { return }
                let code = process.keeper?.finish() ?? (try? Processes.wait(for: process.pid))?.exitCode ?? 255
                process.cgroups?.remove()
                exit.finish(code)
            }
        }
        return SupervisedProcess(process: try started.get(), exit: exit)
    }

    /// Its exit code (128 + signal when killed), once it has exited and its cgroups are gone.
    public func exitCode() async -> Int32 { await exit.value() }
}

/// An exit code set once by a waiting thread and awaited by any number of tasks.
final class ExitCell: Sendable {
    private struct State {
        var code: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }
    private let state = Mutex(State())

    func finish(_ code: Int32) {
        let waiters = state.withLock { s in
            s.code = code
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: code) }
    }

    func value() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let code: Int32? = state.withLock { s in
                if let code = s.code { return code }
                s.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }
}
