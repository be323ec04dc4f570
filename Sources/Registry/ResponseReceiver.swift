import Synchronization
import System

/// Where the body of a successful response goes as it arrives.
protocol ResponseReceiver: Sendable {
    /// The status and headers of a 2xx response, before its body.
    func begin(status: Int, headers: [(name: String, value: String)]) throws(EstibaError)
    func receive(_ bytes: UnsafeRawBufferPointer) throws(EstibaError)
    /// Readies for the request to be sent again after a broken transfer: the offset to ask for the rest from
    /// (`Range`), or nil after forgetting what was received.
    func retry() throws(EstibaError) -> Int64?
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

    func begin(status: Int, headers: [(name: String, value: String)]) {}

    func retry() -> Int64? {
        buffer.withLock { $0 = [] }
        return nil
    }

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
