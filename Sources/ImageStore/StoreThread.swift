import Glibc

/// Runs blocking store work (writing and hashing layers, extracting snapshots, copying archives, fsync) on an OS
/// thread of its own and awaits the result: the store's actor stays free for the index, and no thread of Swift's
/// shared concurrency pool waits on the disk.
enum StoreThread {
    static func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let outcome: Result<T, E> = await withCheckedContinuation { continuation in
            start { continuation.resume(returning: Result(catching: work)) }
        }
        return try outcome.get()
    }

    /// What a new thread runs (kept alive by the thread until it has run).
    private final class Job {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread, or runs it on the calling thread when the system gives no thread.
    private static func start(_ body: @escaping @Sendable () -> Void) {
        let job = Unmanaged.passRetained(Job(body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // Deep directory trees recurse in the layer writer: as much stack as a main thread has.
        pthread_attr_setstacksize(&attributes, 8 << 20)
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { context in
            if let context { Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body() }
            return nil
        }, job.toOpaque())
        if rc != 0 { job.takeRetainedValue().body() }
    }
}
