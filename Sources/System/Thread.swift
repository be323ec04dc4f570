import Glibc

/// Runs `body` on an OS thread of its own, for blocking work that must never occupy a thread of the Swift
/// concurrency pool (reading a pipe, waiting for a process): a thread that finished earlier work and waits for more
/// (see `IdleThreads`), else a new detached one. `body` never waits for other work. When the system cannot create
/// a thread, `body` runs on the caller's thread instead, so the work is never lost.
public func startThread(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) {
    let size = max(stackSize, Int(PTHREAD_STACK_MIN))
    if IdleThreads.shared.handOff(stackSize: size, body) { return }
    let box = Unmanaged.passRetained(ThreadBody { IdleThreads.shared.serve(first: body, stackSize: size) }).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attributes, size)
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attributes, { context in
        guard let context else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        body()
    }
}

/// Blocks the calling thread for `nanoseconds` (for OS threads; tasks use `Task.sleep`).
public func sleepThread(nanoseconds: UInt64) {
    var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
}

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
