import CSys
import Glibc

extension FileDescriptor {
    /// Copies `count` bytes from this descriptor's position to `destination`'s: in the kernel with
    /// copy_file_range where it can, by reading and writing otherwise. Stops early at end of file.
    public func copyData(to destination: FileDescriptor, count: Int64) throws(EstibaError) {
        var left = count
        while left > 0 {
            let n = csys_copy_file_range(rawValue, destination.rawValue, Int(clamping: left))
            if n > 0 {
                left -= Int64(n)
                continue
            }
            if n == 0 { return }
            if errno == EINTR { continue }
            break
        }
        // Different file systems on older kernels, or special files: plain reads and writes.
        var reader = ChunkReader(self, chunkSize: Int(clamping: min(left, 1 << 20)))
        while left > 0, let chunk = try reader.next() {
            let part = UnsafeRawBufferPointer(rebasing: chunk[0..<Int(clamping: min(Int64(chunk.count), left))])
            try destination.writeAll(part)
            left -= Int64(part.count)
        }
    }
}
