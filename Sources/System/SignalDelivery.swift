import Glibc
import Synchronization

/// Signals turned into calls on a thread: the handler only writes the signal's number to a pipe (which is
/// async-signal-safe whatever thread it interrupts), and one dispatch thread calls the Swift handlers.
public enum Signals {
    /// Ignores `signal` (SIGPIPE: a write to a closed pipe or socket then fails with EPIPE instead).
    public static func ignore(_ signal: Signal) {
        _ = Glibc.signal(signal.rawValue, SIG_IGN)
    }

    /// Calls `handler` on the dispatch thread each time one of `signals` arrives (after any handlers added
    /// before for the same signal).
    public static func onDelivery(of signals: [Signal], _ handler: @escaping @Sendable (Signal) -> Void) throws(EstibaError) {
        let fresh: [Signal] = try registry.withLock { (table) throws(EstibaError) in
            if table.pipe == nil {
                let pipe = try Pipe()
                signalPipeWrite.store(pipe.writeEnd.rawValue, ordering: .releasing)
                table.pipe = pipe
                let readEnd = pipe.readEnd
                startThread(stackSize: Processes.smallStack) { dispatch(from: readEnd) }
            }
            var fresh: [Signal] = []
            for s in signals {
                if table.handlers[s.rawValue] == nil { fresh.append(s) }
                table.handlers[s.rawValue, default: []].append(handler)
            }
            return fresh
        }
        for s in fresh {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWrite.load(ordering: .relaxed), &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(SA_RESTART)
            guard sigaction(s.rawValue, &action, nil) == 0 else { throw .last("handle signal \(s.rawValue)") }
        }
    }

    private struct Registry {
        /// Kept open for the life of the process.
        var pipe: Pipe?
        var handlers: [Int32: [@Sendable (Signal) -> Void]] = [:]
    }

    private static let registry = Mutex(Registry())

    private static func dispatch(from readEnd: FileDescriptor) {
        var byte: [UInt8] = [0]
        while true {
            let n = byte.withUnsafeMutableBytes { raw in (try? readEnd.read(into: raw)) ?? 0 }
            if n == 0 { return }
            let number = Int32(byte[0])
            let handlers = registry.withLock { $0.handlers[number] ?? [] }
            for h in handlers { h(Signal(rawValue: number)) }
        }
    }
}

/// The pipe's write end, for the signal handler (an atomic load is async-signal-safe).
private let signalPipeWrite = Atomic<Int32>(-1)
