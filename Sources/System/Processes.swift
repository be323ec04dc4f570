import Glibc

/// This process and its children: ids, signals, waiting.
public enum Processes {
    /// This process's id.
    public static var currentID: Int32 { getpid() }

    /// The effective user id (0 for root).
    public static var effectiveUserID: UInt32 { geteuid() }

    /// Sends `signal` to process `pid`.
    public static func send(_ signal: Signal, to pid: Int32) throws(EstibaError) {
        guard kill(pid, signal.rawValue) == 0 else { throw .last("signal process \(pid)") }
    }

    /// Whether process `pid` is alive: it exists and has not ended. A zombie (ended, not yet waited for) has ended:
    /// an orphan's zombie waits for init, and an init that reaps late (as some VM inits do) must not make a dead
    /// supervisor look alive. Never true for pid 0 or below (process groups, not processes).
    public static func exists(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        return !hasEnded(pid)
    }

    /// Whether `pid` is a zombie (or being torn down): the state in /proc/PID/stat, after the command name's
    /// closing parenthesis (the name may itself hold one), is Z or X.
    static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? Files.read("/proc/\(pid)/stat", upTo: 1024), let close = stat.lastIndex(of: 0x29),
            close + 2 < stat.count
        else { return false }
        let state = stat[close + 2]
        return state == 0x5A || state == 0x58  // "Z", "X"
    }

    /// Waits for child `pid` to end (retrying when interrupted).
    public static func wait(for pid: Int32) throws(EstibaError) -> WaitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno == EINTR { continue }
            throw .last("wait for process \(pid)")
        }
        return WaitStatus(rawValue: status)
    }

    /// Waits for child `pid` on a thread of its own, so no thread of the concurrency pool blocks.
    public static func waitInBackground(for pid: Int32) async throws(EstibaError) -> WaitStatus {
        let result = await withCheckedContinuation { (done: CheckedContinuation<Result<WaitStatus, EstibaError>, Never>) in
            startThread(stackSize: smallStack) {
                done.resume(returning: Result { () throws(EstibaError) in try wait(for: pid) })
            }
        }
        return try result.get()
    }

    /// Reaps child `pid` whenever it ends, on a small thread of its own, so a long-lived process keeps no
    /// zombie of a child it does not wait for.
    public static func reapWhenDone(_ pid: Int32) {
        startThread(stackSize: smallStack) { _ = try? wait(for: pid) }
    }

    /// Enough stack for a thread that only waits.
    static let smallStack = 128 << 10
}
