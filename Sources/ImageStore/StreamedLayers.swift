import CArchive
import System

/// A compressed layer (gzip, zstd…) decompressed as it downloads: the compressed bytes sent to it come out
/// uncompressed in `path`, written on a thread of its own, so the compressed blob never touches the disk. The
/// store then takes `path` as an uncompressed download (`storeLayer(downloaded:diffID:)` checks it against the
/// diff ID). Bytes go over a socket pair: when decompression stops (bad data), sending fails with EPIPE.
public final class LayerDecompressor: Sendable {
    public let path: String
    private let pair: SocketPair
    private let done: Task<Result<Int64, EstibaError>, Never>

    /// Decompresses into `path` (an existing staging file, truncated).
    public init(path: String) throws(EstibaError) {
        self.path = path
        let pair = try SocketPair()
        self.pair = pair
        let output = try FileDescriptor.open(path, [.writeOnly, .truncate], permissions: 0o600)
        let input = pair.second
        done = Task {
            await runOnThread { () -> Result<Int64, EstibaError> in
                defer {
                    input.close()
                    output.close()
                }
                do throws(EstibaError) {
                    return .success(try Compression.decompress(input, to: output, what: path))
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    /// Sends compressed bytes on; fails once decompression has stopped.
    public func send(_ bytes: [UInt8]) throws(EstibaError) { try pair.first.send(bytes) }

    /// Ends the input and waits until the rest is written; returns the uncompressed size.
    public func finish() async throws(EstibaError) -> Int64 {
        try? pair.first.shutdownSending()
        return try await done.value.get()
    }

    /// Gives up: ends the input and waits for the thread, whatever it found.
    public func abandon() async {
        pair.first.close()
        _ = await done.value
    }
}

extension Compression {
    /// Decompresses the stream read from `input` (any filter libarchive knows) into `output`; the bytes written.
    static func decompress(_ input: FileDescriptor, to output: FileDescriptor, what: String) throws(EstibaError) -> Int64 {
        guard let a = archive_read_new() else { throw EstibaError(.io, "libarchive could not allocate a reader.") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        guard archive_read_open_fd(a, input.rawValue, 1 << 20) == ARCHIVE_OK else {
            throw LayerExtractor.readError(a, "Cannot read \(what)")
        }
        var entry: OpaquePointer? = nil
        guard archive_read_next_header(a, &entry) == ARCHIVE_OK else { throw LayerExtractor.readError(a, "Cannot decompress \(what)") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let n = archive_read_data(a, buffer.baseAddress, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw LayerExtractor.readError(a, "Cannot decompress \(what)") }
            try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return total
    }
}
