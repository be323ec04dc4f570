/// Runs blocking `work` (disk writes, hashing, waiting for a lock) on an OS thread of its own and awaits its
/// result, so no thread of the Swift concurrency pool waits on the kernel. `stackSize` as for `startThread`:
/// the default gives as much stack as a main thread has, for work that recurses into deep directory trees.
public func runOnThread<T: Sendable, E: Error>(
    stackSize: Int = 8 << 20, _ work: @escaping @Sendable () throws(E) -> T
) async throws(E) -> T {
    let outcome = await withCheckedContinuation { (done: CheckedContinuation<Result<T, E>, Never>) in
        startThread(stackSize: stackSize) { done.resume(returning: Result(catching: work)) }
    }
    return try outcome.get()
}
