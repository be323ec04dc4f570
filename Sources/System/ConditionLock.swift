import Glibc

/// A mutex with a condition variable, for the few places where OS threads wait for each other.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Inside `withLock`: releases the lock until signalled, then takes it again. Wait in a loop on the
    /// condition that matters (wake-ups can be spurious).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every thread waiting in `wait()`.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
