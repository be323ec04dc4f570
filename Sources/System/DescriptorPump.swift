/// Reads a descriptor to its end on a thread of its own (never on the concurrency pool), handing each chunk
/// on as it arrives. The descriptor is closed at the end (when owned).
public enum DescriptorPump {
    /// Calls `onChunk` for every chunk read, then `onEnd` at end of file or on a read error.
    public static func start(
        _ descriptor: FileDescriptor, chunkSize: Int = 64 << 10, onChunk: @escaping @Sendable ([UInt8]) -> Void,
        onEnd: @escaping @Sendable () -> Void = {}
    ) {
        startThread {
            var reader = ChunkReader(descriptor, chunkSize: chunkSize)
            while let chunk = try? reader.next() { onChunk(Array(chunk)) }
            descriptor.close()
            onEnd()
        }
    }

    /// The chunks as a stream that finishes at end of file. A consumer that stops early does not stop the
    /// reading: it goes on until the writers close their end.
    public static func stream(_ descriptor: FileDescriptor, chunkSize: Int = 64 << 10) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        start(descriptor, chunkSize: chunkSize, onChunk: { continuation.yield($0) }, onEnd: { continuation.finish() })
        return stream
    }

    /// Waits until `descriptor` reaches its end, calling `onChunk` for every chunk on the reading thread.
    public static func drain(_ descriptor: FileDescriptor, chunkSize: Int = 64 << 10, onChunk: @escaping @Sendable ([UInt8]) -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            start(descriptor, chunkSize: chunkSize, onChunk: onChunk, onEnd: { done.resume() })
        }
    }
}
