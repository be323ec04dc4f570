import CLauncher
import System

/// How a container that must outlive its caller is started: a keeper process (like containerd's shim) is its
/// parent, forked by the launcher. The keeper starts it, reports its pid, waits for it, writes its exit code to
/// `exitFile` and reports that too; when the caller is gone by then, it runs `settleCommand` (this executable's
/// `__settle`) to record the end, else whoever next opens the store does (reading `exitFile`). The container
/// gets SIGKILL if its keeper dies, so it never runs unsupervised.
public struct Keeping: Sendable {
    /// Where the keeper writes the exit code.
    public var exitFile: String
    /// The command run when the caller is gone as the container ends (an absolute path first), or nil.
    public var settleCommand: [String]?
    /// Called once the container is in its cgroups, before its command runs, with its pid and its keeper's: the
    /// caller records them, so a caller that dies from here on leaves a container whose record names its keeper.
    /// False (not recorded) stops the start: the container never runs its command.
    public var announce: @Sendable (_ pid: Int32, _ keeper: Int32) -> Bool

    public init(exitFile: String, settleCommand: [String]?, announce: @escaping @Sendable (_ pid: Int32, _ keeper: Int32) -> Bool) {
        self.exitFile = exitFile
        self.settleCommand = settleCommand
        self.announce = announce
    }

    /// How a kept container ended, as its keeper wrote it to `file`; nil when it wrote nothing (it was killed).
    public static func recordedEnd(in file: String) -> KeptEnd? {
        guard let bytes = try? Files.read(file), bytes.count <= 32 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        if text == String(cString: ESTIBA_NEVER_STARTED) { return .neverStarted }
        guard let code = Int32(text.filter { $0 != "\n" }), (0...255).contains(code) else { return nil }
        return .exited(code)
    }
}

/// How a kept container ended.
public enum KeptEnd: Sendable, Equatable {
    /// Its command ran and ended with this code (128 + signal when killed).
    case exited(Int32)
    /// Its caller never let it go (it died, or gave up, between starting it and letting it run its command): the
    /// command never ran.
    case neverStarted
}

/// The caller's end of a keeper: its pid and the pipe it reports on.
public struct KeeperLink: Sendable {
    public let pid: Int32
    let status: FileDescriptor

    /// The next number the keeper reports (the container's pid, then its exit code), or nil when the keeper
    /// ended without it.
    func readCode() -> Int32? {
        var value: Int32 = 0
        let complete = withUnsafeMutableBytes(of: &value) { raw -> Bool in
            var filled = 0
            while filled < raw.count {
                guard let n = try? status.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...])), n > 0 else { return false }
                filled += n
            }
            return true
        }
        return complete ? value : nil
    }

    /// Waits for the container's exit code (137 when the keeper died first: the container was killed with it).
    /// The keeper is reaped in the background: its exit (a copy of this process's memory going away) is not on
    /// the way to the answer.
    public func finish() -> Int32 {
        let code = readCode() ?? 128 + Signal.kill.rawValue
        status.close()
        Processes.reapWhenDone(pid)
        return code
    }
}
