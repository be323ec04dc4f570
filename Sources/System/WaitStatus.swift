/// How a child process ended, from its wait status.
public struct WaitStatus: Sendable, Hashable {
    /// The status as `waitpid` gives it.
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The signal that ended it, when one did.
    public var signal: Int32? {
        let s = rawValue & 0x7F
        return s == 0 ? nil : s
    }

    /// Its exit status, when it exited.
    public var exitStatus: Int32? { signal == nil ? (rawValue >> 8) & 0xFF : nil }

    /// The code a shell reports: the exit status, or 128 + the signal.
    public var exitCode: Int32 { signal.map { 128 + $0 } ?? (rawValue >> 8) & 0xFF }
}
