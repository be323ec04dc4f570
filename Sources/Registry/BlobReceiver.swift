import ImageStore
import Synchronization
import System

/// A blob body written to a file as it arrives — or, for a compressed layer, sent to a `LayerDecompressor` that
/// writes it out uncompressed — and hashed on the way, never past its expected size; it stops the transfer once
/// `cancelled` is set.
final class BlobReceiver: ResponseReceiver {
    let path: String
    let expectedSize: Int64
    let cancelled: PullCancellation
    /// Where the bytes go instead of `path`, when they are decompressed as they arrive.
    let decompressor: LayerDecompressor?
    private let progress: @Sendable (Int64) -> Void
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var file: FileDescriptor?
        var hasher = SHA256()
        var received: Int64 = 0
        var reported: Int64 = 0
    }

    init(path: String, expectedSize: Int64, cancelled: PullCancellation, progress: @escaping @Sendable (Int64) -> Void) throws(EstibaError) {
        self.path = path
        self.expectedSize = expectedSize
        self.cancelled = cancelled
        self.progress = progress
        decompressor = nil
        state = Mutex(State(file: try FileDescriptor.open(path, [.writeOnly, .truncate], permissions: 0o600)))
    }

    /// A receiver that sends what arrives to `decompressor` (which writes to its own path). A transfer that must
    /// start over after bytes went on cannot: it fails with `restartNeeded`.
    init(decompressor: LayerDecompressor, expectedSize: Int64, cancelled: PullCancellation, progress: @escaping @Sendable (Int64) -> Void) {
        path = decompressor.path
        self.expectedSize = expectedSize
        self.cancelled = cancelled
        self.progress = progress
        self.decompressor = decompressor
        state = Mutex(State(file: nil))
    }

    /// Marks the failure of a decompressing receiver asked to start over.
    static let restartNeeded = "restart"

    func receive(_ bytes: UnsafeRawBufferPointer) throws(EstibaError) {
        if cancelled.isSet { throw EstibaError.cancelled }
        let expectedSize = self.expectedSize
        // A copy the lock's region can own (curl's buffer is not ours to keep).
        let chunk = [UInt8](bytes)
        let result: Result<Int64?, EstibaError> = state.withLock { s in
            guard s.received + Int64(chunk.count) <= expectedSize else {
                return .failure(EstibaError(.badInput, "more than the \(expectedSize) bytes its descriptor gives"))
            }
            do throws(EstibaError) {
                if let decompressor { try decompressor.send(chunk) } else { try s.file?.writeAll(chunk) }
            } catch {
                return .failure(error)
            }
            chunk.withUnsafeBytes { s.hasher.update($0) }
            s.received += Int64(chunk.count)
            // Progress every 512 KiB, and at the end.
            if s.received - s.reported >= 1 << 19 || s.received == expectedSize {
                s.reported = s.received
                return .success(s.received)
            }
            return .success(nil)
        }
        if let reported = try result.get() { progress(reported) }
    }

    /// After a broken transfer: the rest is asked for from what arrived (the hash goes on), or from nothing.
    func retry() throws(EstibaError) -> Int64? {
        let received = state.withLock { $0.received }
        if received > 0 { return received }
        try reset()
        return nil
    }

    /// A 206 must continue where the transfer broke off; a 200 (a server that ignores `Range`) starts over.
    func begin(status: Int, headers: [(name: String, value: String)]) throws(EstibaError) {
        let received = state.withLock { $0.received }
        guard received > 0 else { return }
        if status == 206 {
            let range = headers.last { $0.name.lowercased() == "content-range" }?.value ?? ""
            guard range.hasPrefix("bytes \(received)-") else {
                throw EstibaError(.badInput, "a partial answer for bytes \"\(range)\" where bytes from \(received) were asked for")
            }
            return
        }
        try reset()
    }

    /// Starts again from nothing.
    func reset() throws(EstibaError) {
        let path = self.path
        let streaming = decompressor != nil
        let result: Result<Void, EstibaError> = state.withLock { s in
            do throws(EstibaError) {
                if streaming {
                    // Bytes already decompressed cannot be taken back.
                    guard s.received == 0 else {
                        throw EstibaError(.unavailable, "The transfer must start over.", context: [Self.restartNeeded: "1"])
                    }
                } else {
                    s.file?.close()
                    s.file = try FileDescriptor.open(path, [.writeOnly, .truncate], permissions: 0o600)
                }
            } catch {
                return .failure(error)
            }
            s.hasher = SHA256()
            s.received = 0
            s.reported = 0
            return .success(())
        }
        try result.get()
    }

    /// The digest and size of what arrived; closes the file. Not synced: the download is a staging file the store
    /// decompresses into a blob, or adopts as one, and it syncs what it keeps.
    func finish() throws(EstibaError) -> (digest: Digest, size: Int64) {
        state.withLock { s in
            s.file?.close()
            return (s.hasher.finalize(), s.received)
        }
    }
}

/// Set once a pull fails or is cancelled: transfers under way stop at their next bytes.
final class PullCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
