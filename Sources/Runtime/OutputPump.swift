import Glibc

/// Reads a pipe to its end on a dedicated thread, handing each chunk to `onChunk`.
public enum OutputPump {
    /// Returns once the write side is closed by every writer; closes `fd`.
    public static func drain(_ fd: Int32, onChunk: @escaping @Sendable ([UInt8]) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            spawnWaiter {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    onChunk(Array(buffer[0..<n]))
                }
                close(fd)
                continuation.resume()
            }
        }
    }
}
