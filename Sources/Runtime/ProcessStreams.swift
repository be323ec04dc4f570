import Glibc
import Synchronization

/// A piece of a process's output, and where it came from.
public struct OutputChunk: Sendable, Equatable {
    public enum Source: String, Sendable {
        case stdout, stderr
        /// The process's terminal (its output and echo, as one stream).
        case terminal
    }

    public var source: Source
    public var bytes: [UInt8]

    public init(_ source: Source, _ bytes: [UInt8]) {
        self.source = source
        self.bytes = bytes
    }
}

/// A process's standard streams from the side of whoever attached to it: its output as an asynchronous sequence of
/// chunks, its input, and its terminal's size. Without a terminal, stdout and stderr are pipes read here and stdin
/// is a socket (or /dev/null when not interactive); with one, everything goes through the terminal's master.
public final class ProcessStreams: Sendable {
    /// Every chunk the process writes, in order per source; it ends when the process and everything it started
    /// have closed their output. Chunks are kept until read.
    public let output: AsyncStream<OutputChunk>
    /// What the process is started with (-1 where its terminal takes the place).
    public let processStdin: Int32
    public let processStdout: Int32
    public let processStderr: Int32
    public let terminal: Bool
    private let continuation: AsyncStream<OutputChunk>.Continuation
    private let state: Mutex<(input: Int32, readers: Int)>
    private let stdoutReader: Int32
    private let stderrReader: Int32

    /// Makes the streams of a process to start (`interactive`: its input stays open for `write`).
    public init(terminal: Bool, interactive: Bool) throws(RuntimeError) {
        (output, continuation) = AsyncStream.makeStream(of: OutputChunk.self)
        self.terminal = terminal
        if terminal {
            (processStdin, processStdout, processStderr, stdoutReader, stderrReader) = (-1, -1, -1, -1, -1)
            state = Mutex((input: -1, readers: 1))
            return
        }
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        var input: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw Self.failure("a pipe for the output", []) }
        guard pipe(&err) == 0 else { throw Self.failure("a pipe for the output", out) }
        if interactive {
            // A socket, not a pipe: its input can be shut while the descriptor stays ours, and a write to a process
            // that is gone fails instead of raising SIGPIPE.
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &input) == 0 else { throw Self.failure("a socket for the input", out + err) }
        } else {
            input[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard input[0] >= 0 else { throw Self.failure("/dev/null for the input", out + err) }
        }
        for fd in out + err + input where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (processStdin, processStdout, processStderr) = (input[0], out[1], err[1])
        (stdoutReader, stderrReader) = (out[0], err[0])
        state = Mutex((input: input[1], readers: 2))
    }

    /// Once the process runs: closes its ends here and starts reading its output (from `master`, its terminal's
    /// master side, when it has a terminal; this takes it over).
    public func attach(master: Int32?) {
        for fd in [processStdin, processStdout, processStderr] where fd >= 0 { close(fd) }
        if terminal {
            guard let master else { return finish() }
            state.withLock { $0.input = master }
            pump(dup(master), as: .terminal)
        } else {
            pump(stdoutReader, as: .stdout)
            pump(stderrReader, as: .stderr)
        }
    }

    /// When the process did not start: closes its ends and ends the output.
    public func abandon() {
        for fd in [processStdin, processStdout, processStderr, stdoutReader, stderrReader] where fd >= 0 { close(fd) }
        continuation.finish()
    }

    /// Writes `bytes` to the process's input (its terminal with one), on a thread of its own: this returns once
    /// the process has taken them in.
    public func write(_ bytes: [UInt8]) async throws(RuntimeError) {
        let fd = state.withLock { $0.input }
        guard fd >= 0 else { throw RuntimeError("The process's input is not open: start it interactive to write to it.", stage: "input") }
        let isTerminal = terminal
        let result: Result<Void, RuntimeError> = await withCheckedContinuation { done in
            spawnWaiter {
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { p in
                        isTerminal
                            ? Glibc.write(fd, p.baseAddress.map { $0 + offset }, p.count - offset)
                            : send(fd, p.baseAddress.map { $0 + offset }, p.count - offset, Int32(MSG_NOSIGNAL))
                    }
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else {
                        return done.resume(returning: .failure(RuntimeError("Cannot write to the process's input: \(String(cString: strerror(errno))).", stage: "input")))
                    }
                    offset += n
                }
                done.resume(returning: .success(()))
            }
        }
        try result.get()
    }

    /// Ends the process's input: it reads end of file (on a terminal: a Ctrl-D, as a person would type it).
    public func closeInput() {
        let fd = state.withLock { $0.input }
        guard fd >= 0 else { return }
        if terminal {
            var ctrlD: UInt8 = 4
            _ = Glibc.write(fd, &ctrlD, 1)
        } else {
            shutdown(fd, Int32(SHUT_WR))
        }
    }

    /// Sets the terminal's size (the process gets SIGWINCH).
    public func resize(rows: UInt16, columns: UInt16) throws(RuntimeError) {
        let fd = state.withLock { $0.input }
        guard terminal, fd >= 0 else { throw RuntimeError("The process has no terminal to resize: start it with one.", stage: "resize") }
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(fd, UInt(TIOCSWINSZ), &size) == 0 else {
            throw RuntimeError("Cannot resize the terminal: \(String(cString: strerror(errno))).", stage: "resize")
        }
    }

    deinit {
        let input = state.withLock { $0.input }
        if input >= 0 { close(input) }
    }

    /// Reads `fd` to its end (a terminal's: until EIO, once every process holding it is gone), then closes it.
    private func pump(_ fd: Int32, as source: OutputChunk.Source) {
        let continuation = self.continuation
        Task {
            await OutputPump.drain(fd) { continuation.yield(OutputChunk(source, $0)) }
            self.finish()
        }
    }

    private func finish() {
        let last = state.withLock { s in
            s.readers -= 1
            return s.readers <= 0
        }
        if last { continuation.finish() }
    }

    private static func failure(_ what: String, _ opened: [Int32]) -> RuntimeError {
        let reason = String(cString: strerror(errno))
        for fd in opened where fd >= 0 { close(fd) }
        return RuntimeError("Cannot create \(what) of the process: \(reason).", stage: "streams")
    }
}
