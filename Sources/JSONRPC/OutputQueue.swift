import System

/// Frames waiting to be written, and who is writing. Exactly one thread writes at a time: the writer thread
/// (for queued frames) or the reader thread (for inline replies, when nothing is queued or being written).
final class OutputQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    private var frames: [[UInt8]] = []
    private var pendingBytes = 0
    private var closed = false
    private var busy = false
    /// A client that stops reading may not make the service hold unbounded memory.
    let maxPendingBytes: Int

    init(maxPendingBytes: Int = 256 << 20) { self.maxPendingBytes = maxPendingBytes }

    /// Queues a frame; false when the queue is closed or the client is too far behind.
    @discardableResult
    func push(_ frame: [UInt8]) -> Bool {
        lock.withLock {
            if closed || pendingBytes + frame.count > maxPendingBytes { return false }
            frames.append(frame)
            pendingBytes += frame.count
            // While someone is writing, `doneWriting` wakes the writer; waking it now would only put it back to sleep.
            if !busy { lock.broadcast() }
            return true
        }
    }

    /// For the writer thread: everything queued so far (taking the writing role), waiting while there is
    /// nothing to write; nil once closed and drained. Call `doneWriting()` after writing.
    func popAll() -> [[UInt8]]? {
        lock.withLock {
            while true {
                if !busy, !frames.isEmpty {
                    busy = true
                    let out = frames
                    frames.removeAll(keepingCapacity: true)
                    pendingBytes = 0
                    return out
                }
                if closed, frames.isEmpty, !busy { return nil }
                lock.wait()
            }
        }
    }

    /// Takes the writing role for a direct write when nothing is queued or being written.
    func claimDirectWrite() -> Bool {
        lock.withLock {
            if busy || closed || !frames.isEmpty { return false }
            busy = true
            return true
        }
    }

    func doneWriting() {
        lock.withLock {
            busy = false
            // The writer only has something to do when frames arrived meanwhile or the queue closed; waking it
            // after every direct write would cost two context switches per reply batch.
            if !frames.isEmpty || closed { lock.broadcast() }
        }
    }

    func close() {
        lock.withLock {
            closed = true
            lock.broadcast()
        }
    }
}
