import Glibc

/// Threads of `startThread` kept once their work is done, waiting for the next work. Handing work to a waiting
/// thread costs one wake-up; starting a thread costs a clone, a fresh stack and, on a busy machine, a wait of
/// milliseconds before the scheduler first runs the newcomer. A thread waits at most `waitSeconds` and at most
/// `maximumWaiting` threads wait at once; the others end.
final class IdleThreads: @unchecked Sendable {
    static let shared = IdleThreads()
    static let maximumWaiting = 8
    static let waitSeconds = 10

    /// A waiting thread: its stack size and where its next work is put.
    final class Slot {
        let stackSize: Int
        var work: (@Sendable () -> Void)?
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init(stackSize: Int) {
            self.stackSize = stackSize
            var attributes = pthread_condattr_t()
            pthread_condattr_init(&attributes)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
            pthread_cond_init(wake, &attributes)
            pthread_condattr_destroy(&attributes)
        }

        deinit {
            pthread_cond_destroy(wake)
            wake.deallocate()
        }
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The waiting threads, the one that began waiting last at the end.
    private var waiting: [Slot] = []

    private init() { pthread_mutex_init(mutex, nil) }

    /// How many threads wait for work now.
    var count: Int { locked { waiting.count } }

    /// Gives `work` to a waiting thread with at least `stackSize` bytes of stack: of those with the smallest such
    /// stack (small work leaves the big stacks to work that needs them), the one that began waiting last. False
    /// when no such thread waits.
    func handOff(stackSize: Int, _ work: @escaping @Sendable () -> Void) -> Bool {
        locked {
            var chosen: Int?
            for (i, slot) in waiting.enumerated() where slot.stackSize >= stackSize {
                if let c = chosen, waiting[c].stackSize < slot.stackSize { continue }
                chosen = i
            }
            guard let i = chosen else { return false }
            let slot = waiting.remove(at: i)
            slot.work = work
            pthread_cond_signal(slot.wake)
            return true
        }
    }

    /// The body of a thread: runs `first`, then the work handed to it while it waits, until no work comes in time.
    func serve(first: @escaping @Sendable () -> Void, stackSize: Int) {
        let slot = Slot(stackSize: stackSize)
        var work: (@Sendable () -> Void)? = first
        while work != nil {
            Self.run(&work)
            work = next(for: slot)
        }
    }

    /// Runs the work and lets it go (with all it holds) before the thread waits again.
    private static func run(_ work: inout (@Sendable () -> Void)?) {
        guard let body = work else { return }
        work = nil
        body()
    }

    /// Waits for the next work of `slot`'s thread; nil when the thread should end.
    private func next(for slot: Slot) -> (@Sendable () -> Void)? {
        locked {
            guard waiting.count < Self.maximumWaiting else { return nil }
            waiting.append(slot)
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += Self.waitSeconds
            while slot.work == nil {
                if pthread_cond_timedwait(slot.wake, mutex, &deadline) == ETIMEDOUT, slot.work == nil {
                    waiting.removeAll { $0 === slot }
                    return nil
                }
            }
            defer { slot.work = nil }
            return slot.work
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
