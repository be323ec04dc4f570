import Synchronization
import System

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
    public let terminal: Bool
    private let continuation: AsyncStream<OutputChunk>.Continuation
    private let state: Mutex<(input: FileDescriptor?, readers: Int)>
    /// The process's ends (nil where its terminal takes the place), closed here once it runs.
    private let processEnds: (stdin: FileDescriptor, stdout: FileDescriptor, stderr: FileDescriptor)?
    private let readers: (stdout: FileDescriptor, stderr: FileDescriptor)?

    /// What the process is started with (-1 where its terminal takes the place).
    public var processStdin: Int32 { processEnds?.stdin.rawValue ?? -1 }
    public var processStdout: Int32 { processEnds?.stdout.rawValue ?? -1 }
    public var processStderr: Int32 { processEnds?.stderr.rawValue ?? -1 }

    /// Makes the streams of a process to start (`interactive`: its input stays open for `write`).
    public init(terminal: Bool, interactive: Bool) throws(EstibaError) {
        (output, continuation) = AsyncStream.makeStream(of: OutputChunk.self)
        self.terminal = terminal
        if terminal {
            (processEnds, readers) = (nil, nil)
            state = Mutex((input: nil, readers: 1))
            return
        }
        let out: Pipe
        let err: Pipe
        do throws(EstibaError) {
            out = try Pipe()
            err = try Pipe()
        } catch {
            throw EstibaError.runtime(cannot: "create a pipe for the output of the process", error, stage: "streams")
        }
        let processInput: FileDescriptor
        var input: FileDescriptor?
        if interactive {
            // A socket, not a pipe: its input can be shut while the descriptor stays ours, and a write to a process
            // that is gone fails instead of raising SIGPIPE.
            do {
                let pair = try SocketPair()
                (processInput, input) = (pair.first, pair.second)
            } catch {
                throw EstibaError.runtime(cannot: "create a socket for the input of the process", error, stage: "streams")
            }
        } else {
            do { processInput = try FileDescriptor.open("/dev/null") } catch {
                throw EstibaError.runtime(cannot: "create /dev/null for the input of the process", error, stage: "streams")
            }
        }
        processEnds = (processInput, out.writeEnd, err.writeEnd)
        readers = (out.readEnd, err.readEnd)
        state = Mutex((input: input, readers: 2))
    }

    /// Once the process runs: closes its ends here and starts reading its output (from `master`, its terminal's
    /// master side, when it has a terminal; this takes it over).
    public func attach(master: Int32?) {
        closeProcessEnds()
        if terminal {
            guard let master else { return finish() }
            let descriptor = FileDescriptor(adopting: master, path: "the process's terminal")
            state.withLock { $0.input = descriptor }
            guard let reader = try? descriptor.duplicate() else { return finish() }
            pump(reader, as: .terminal)
        } else if let readers {
            pump(readers.stdout, as: .stdout)
            pump(readers.stderr, as: .stderr)
        }
    }

    /// When the process did not start: closes its ends and ends the output.
    public func abandon() {
        closeProcessEnds()
        readers?.stdout.close()
        readers?.stderr.close()
        continuation.finish()
    }

    /// Writes `bytes` to the process's input (its terminal with one), on a thread of its own: this returns once
    /// the process has taken them in.
    public func write(_ bytes: [UInt8]) async throws(EstibaError) {
        guard let input = state.withLock({ $0.input }) else {
            throw EstibaError.runtime("The process's input is not open: start it interactive to write to it.", stage: "input")
        }
        let isTerminal = terminal
        let result: Result<Void, EstibaError> = await withCheckedContinuation { done in
            startThread {
                done.resume(returning: Result { () throws(EstibaError) in
                    if isTerminal { try input.writeAll(bytes) } else { try input.send(bytes) }
                })
            }
        }
        do { try result.get() } catch { throw EstibaError.runtime(cannot: "write to the process's input", error, stage: "input") }
    }

    /// Ends the process's input: it reads end of file (on a terminal: a Ctrl-D, as a person would type it).
    public func closeInput() {
        guard let input = state.withLock({ $0.input }) else { return }
        if terminal {
            try? input.writeAll([4])
        } else {
            try? input.shutdownSending()
        }
    }

    /// Sets the terminal's size (the process gets SIGWINCH).
    public func resize(rows: UInt16, columns: UInt16) throws(EstibaError) {
        guard terminal, let input = state.withLock({ $0.input }) else {
            throw EstibaError.runtime("The process has no terminal to resize: start it with one.", stage: "resize")
        }
        do { try Terminal.setWindowSize(input, rows: rows, columns: columns) } catch {
            throw EstibaError.runtime(cannot: "resize the terminal", error, stage: "resize")
        }
    }

    private func closeProcessEnds() {
        processEnds?.stdin.close()
        processEnds?.stdout.close()
        processEnds?.stderr.close()
    }

    /// Reads `descriptor` to its end (a terminal's: until EIO, once every process holding it is gone), then
    /// closes it.
    private func pump(_ descriptor: FileDescriptor, as source: OutputChunk.Source) {
        let continuation = self.continuation
        DescriptorPump.start(descriptor, onChunk: { continuation.yield(OutputChunk(source, $0)) }, onEnd: { self.finish() })
    }

    private func finish() {
        let last = state.withLock { s in
            s.readers -= 1
            return s.readers <= 0
        }
        if last { continuation.finish() }
    }
}
