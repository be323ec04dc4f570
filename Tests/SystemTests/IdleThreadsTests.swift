import Glibc
@testable import System
import Testing

@Suite(.serialized) struct IdleThreadsTests {
    /// The kernel's id of the calling thread ("PID/task/TID"); ids of ended threads are not given again soon.
    private static func threadID() -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    /// Waits (a few seconds at most) until some thread of `startThread` waits for work.
    private func waitForIdleThread() async {
        for _ in 0..<500 where IdleThreads.shared.count == 0 { try? await Task.sleep(nanoseconds: 10_000_000) }
    }

    /// The ids of this process's threads now.
    private static func threadIDs() -> Set<String> {
        let names = (try? FileDescriptor.open("/proc/self/task", .directory).names()) ?? []
        return Set(names.map { "\(getpid())/task/\($0)" })
    }

    @Test func aThreadWhoseWorkIsDoneRunsTheNextWork() async {
        // Other tests start threads meanwhile and may take the waiting one: a few tries.
        var reused = false
        for _ in 0..<5 where !reused {
            _ = await runOnThread { Self.threadID() }
            await waitForIdleThread()
            let before = Self.threadIDs()
            let worker = await runOnThread { Self.threadID() }
            reused = before.contains(worker)
        }
        #expect(reused)
    }

    @Test func workRunsAtOnceWhileOtherWorkBlocks() async throws {
        // The first work blocks until the second has run: on one thread for both, it would never end.
        await waitForIdleThread()
        let gate = try Pipe()
        async let blocked: Int = runOnThread { (try? gate.readEnd.readAll(upTo: 1).count) ?? -1 }
        try? await Task.sleep(nanoseconds: 20_000_000)
        await runOnThread {
            try? gate.writeEnd.writeAll([1])
            gate.writeEnd.close()
        }
        #expect(await blocked == 1)
    }

    @Test func workIsLetGoOnceItRan() async {
        final class Held: Sendable {}
        weak var watched: Held?
        do {
            let held = Held()
            watched = held
            await runOnThread { _ = held }
        }
        // The thread lets the work go right after it ran, long before it stops waiting for more.
        for _ in 0..<300 where watched != nil { try? await Task.sleep(nanoseconds: 10_000_000) }
        #expect(watched == nil)
    }
}
