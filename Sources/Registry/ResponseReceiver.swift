import Synchronization
import System

/// Where the body of a successful response goes as it arrives.
protocol ResponseReceiver: Sendable {
    func receive(_ bytes: UnsafeRawBufferPointer) throws(EstibaError)
    /// Forgets what was received (the request is sent again).
    func reset() throws(EstibaError)
}

/// A small body (a manifest, a config, a token) kept in memory, up to `limit` bytes.
final class MemoryReceiver: ResponseReceiver {
    let limit: Int
    let what: String
    private let buffer = Mutex<[UInt8]>([])

    init(limit: Int, what: String) {
        self.limit = limit
        self.what = what
    }

    var bytes: [UInt8] { buffer.withLock { $0 } }

    func reset() { buffer.withLock { $0 = [] } }

    func receive(_ bytes: UnsafeRawBufferPointer) throws(EstibaError) {
        let result: Result<Void, EstibaError> = buffer.withLock { b in
            guard b.count + bytes.count <= limit else {
                return .failure(EstibaError(.badInput, "\(what) is larger than \(limit >> 20) MiB; it is not a manifest or config Estiba can use."))
            }
            b.append(contentsOf: bytes)
            return .success(())
        }
        try result.get()
    }
}
