import Runtime
import System

/// Checks of numbers that come from users (limits, signals, timeouts), made before they reach the runtime,
/// with Docker's rules and messages.
public enum Limits {
    /// Docker's smallest memory limit.
    public static let minimumMemory: Int64 = 6 << 20
    /// The highest signal number on Linux (SIGRTMAX).
    public static let maximumSignal: Int64 = 64
    /// Longest `stop` grace period, in seconds.
    public static let maximumStopTimeout: Int64 = Int64(Int32.max)

    /// CPUs this machine has online.
    public static var onlineCPUs: Int { Machine.onlineProcessors }

    /// Refuses limits the runtime cannot apply: memory under 6 MiB, no processes, a CPU share that is not
    /// from 0.01 to the number of CPUs.
    public static func check(_ l: ResourceLimits) throws(EstibaError) {
        if let m = l.memoryBytes, m < minimumMemory {
            throw EstibaError(.invalidArgument, "Minimum memory limit allowed is 6MB; give a memory limit of 6m or more.", context: ["memory": String(m)])
        }
        if let p = l.pids, p < 1 {
            throw EstibaError(.invalidArgument, "The pids limit must be a positive number of processes.", context: ["pidsLimit": String(p)])
        }
        if let c = l.cpus {
            let n = onlineCPUs
            guard c.isFinite, c >= 0.01, c <= Double(n) else {
                throw EstibaError(
                    .invalidArgument, "Range of CPUs is from 0.01 to \(n).00, as there are only \(n) CPUs available; give a CPU count in that range.",
                    context: ["cpus": String(c)])
            }
        }
    }

    /// The signal number for `n` when it is one (1 to 64).
    public static func signal(_ n: Int64) throws(EstibaError) -> Int32 {
        guard (1...maximumSignal).contains(n), let s = Int32(exactly: n) else {
            throw EstibaError(.invalidArgument, "Invalid signal: \(n). Give a signal number from 1 to \(maximumSignal), or a name like TERM.", context: ["signal": String(n)])
        }
        return s
    }

    /// The stop grace period for `seconds` when it is from 0 to `maximumStopTimeout`.
    public static func stopTimeout(_ seconds: Int64) throws(EstibaError) -> Int {
        guard (0...maximumStopTimeout).contains(seconds), let t = Int(exactly: seconds) else {
            throw EstibaError(
                .invalidArgument, "Invalid stop timeout: \(seconds). Give a number of seconds from 0 to \(maximumStopTimeout).",
                context: ["timeout": String(seconds)])
        }
        return t
    }

    /// Refuses a malformed `user[:group]`.
    public static func checkUser(_ spec: String) throws(EstibaError) {
        if let problem = UserSpec.problem(spec) { throw EstibaError(.invalidArgument, problem, context: ["user": spec]) }
    }
}
