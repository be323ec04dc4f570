import System

/// Reads a pipe given as a bare descriptor number to its end (for callers that do not hold a `FileDescriptor`;
/// `DescriptorPump` does the work).
public enum OutputPump {
    /// Returns once the write side is closed by every writer; closes `fd`.
    public static func drain(_ fd: Int32, onChunk: @escaping @Sendable ([UInt8]) -> Void) async {
        await DescriptorPump.drain(FileDescriptor(adopting: fd, path: "pipe"), onChunk: onChunk)
    }
}
