import Engine
import EstibaJSON
import Glibc
import JSONRPC
import System
import Synchronization

/// Containers started with `interactive` or `tty` over JSON-RPC: where `input` writes (the container's stdin
/// pipe or its terminal's master) and, for terminals, what `resize` sets.
final class InteractiveSessions: Sendable {
    struct Session: Sendable {
        var id: String
        var name: String
        /// Where input goes; -1 once stdin was closed.
        var input: Int32
        var tty: Bool
        /// Writes this session's input in the order the requests came.
        let writer: InputWriter

        init(id: String, name: String, input: Int32, tty: Bool) {
            self.id = id
            self.name = name
            self.input = input
            self.tty = tty
            writer = InputWriter(fd: input, tty: tty)
        }
    }

    private let table = Mutex<[String: Session]>([:])

    func add(_ s: Session) { table.withLock { $0[s.id] = s } }

    /// Forgets the session and closes its input, a pipe or a terminal's master, once the input already
    /// accepted has been written.
    func remove(_ id: String) {
        let s = table.withLock { $0.removeValue(forKey: id) }
        if let s, s.input >= 0 { s.writer.finish(closing: true) }
    }

    func find(_ spec: String) -> Session? {
        table.withLock { t in t[spec] ?? t.values.first { $0.name == spec || $0.id.hasPrefix(spec) && spec.count >= 4 } }
    }

    /// Marks the container's stdin as ended; later `input` requests are refused.
    func markInputEnded(_ id: String) {
        table.withLock { t in t[id]?.input = -1 }
    }
}

/// One session's input, written in request order on a thread of its own: a write may block until the
/// container reads, and two `input` requests (data, then end of input) must not overtake each other.
final class InputWriter: Sendable {
    private struct Job {
        var bytes: [UInt8]
        /// After the bytes: end the input (close a pipe; Ctrl-D on a terminal).
        var eof: Bool
        /// Close the descriptor without Ctrl-D (the session is gone).
        var close: Bool
        var done: @Sendable (Int) -> Void
    }

    private let fd: Int32
    private let tty: Bool
    private let state = Mutex<(jobs: [Job], running: Bool, closed: Bool)>(([], false, false))

    init(fd: Int32, tty: Bool) {
        self.fd = fd
        self.tty = tty
    }

    /// Queues `bytes` (then the end of the input when `eof`) behind what is already queued; the ticket
    /// gives the count of bytes written.
    func submit(_ bytes: [UInt8], eof: Bool) -> WriteTicket {
        let ticket = WriteTicket()
        enqueue(Job(bytes: bytes, eof: eof, close: false) { ticket.resolve($0) })
        return ticket
    }

    /// Closes the descriptor (when `closing`) once what is queued has been written.
    func finish(closing: Bool) {
        enqueue(Job(bytes: [], eof: false, close: closing) { _ in })
    }

    private func enqueue(_ job: Job) {
        let start: Bool = state.withLock { s in
            s.jobs.append(job)
            if s.running { return false }
            s.running = true
            return true
        }
        if start { startThread { [self] in drain() } }
    }

    private func drain() {
        while let job = next() {
            let closed = state.withLock { $0.closed }
            var off = 0
            while !closed, off < job.bytes.count {
                let w = job.bytes.withUnsafeBytes { p in p.baseAddress.map { Glibc.write(fd, $0 + off, job.bytes.count - off) } ?? -1 }
                if w < 0, errno == EINTR { continue }
                if w <= 0 { break }
                off += w
            }
            if !closed, job.eof || job.close {
                if job.eof, tty {
                    var ctrlD: UInt8 = 4
                    _ = Glibc.write(fd, &ctrlD, 1)
                } else {
                    Glibc.close(fd)
                    state.withLock { $0.closed = true }
                }
            }
            job.done(off)
        }
    }

    /// The next job, or nil (and the thread ends) when there is none.
    private func next() -> Job? {
        state.withLock { s in
            if s.jobs.isEmpty {
                s.running = false
                return nil
            }
            return s.jobs.removeFirst()
        }
    }
}

/// The outcome of one queued write, for the request that waits for it.
final class WriteTicket: Sendable {
    private let state = Mutex<(written: Int?, waiter: CheckedContinuation<Int, Never>?)>((nil, nil))

    func resolve(_ written: Int) {
        let waiter: CheckedContinuation<Int, Never>? = state.withLock { s in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.written = written
            return nil
        }
        waiter?.resume(returning: written)
    }

    var written: Int {
        get async {
            await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                let ready: Int? = state.withLock { s in
                    if let w = s.written { return w }
                    s.waiter = c
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        }
    }
}
