import Foundation
import System
import Testing

@testable import Engine

/// `create` and garbage collection: the image a container is being made from stays whole until its record
/// keeps it.
@Suite struct ContainerCreateTests {
    /// One side waits at a point until the other lets it go on.
    final class Gate: Sendable {
        private let reached = AsyncStream.makeStream(of: Void.self)
        private let released = AsyncStream.makeStream(of: Void.self)

        /// Called at the point: says so, then waits for `release`.
        func pause() async {
            reached.continuation.yield()
            for await _ in released.stream { break }
        }

        func waitUntilReached() async { for await _ in reached.stream { break } }

        func release() { released.continuation.yield() }
    }

    /// `estiba system prune` run in a loop by a thread of its own until stopped.
    final class Collector: @unchecked Sendable {
        let root: String
        private let lock = NSLock()
        private var stopping = false
        private var rounds = 0
        private let done = DispatchSemaphore(value: 0)

        init(root: String) { self.root = root }

        /// The built `estiba` beside the test bundle (or `ESTIBA_BIN`).
        static var estiba: String {
            if let e = ProcessInfo.processInfo.environment["ESTIBA_BIN"], !e.isEmpty { return e }
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for dir in [beside, beside.deletingLastPathComponent()] {
                let candidate = dir.appendingPathComponent("estiba").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return repo.appendingPathComponent(".build/debug/estiba").path
        }

        func start() {
            Thread.detachNewThread { [self] in
                while !lock.withLock({ stopping }) {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: Self.estiba)
                    p.arguments = ["--root", root, "system", "prune"]
                    p.standardOutput = FileHandle.nullDevice
                    p.standardError = FileHandle.nullDevice
                    if (try? p.run()) != nil {
                        p.waitUntilExit()
                        if p.terminationStatus == 0 { lock.withLock { rounds += 1 } }
                    }
                }
                done.signal()
            }
        }

        /// Stops the loop; how many collections succeeded.
        func stop() -> Int {
            lock.withLock { stopping = true }
            done.wait()
            return lock.withLock { rounds }
        }
    }

    let root = NSTemporaryDirectory() + "estiba-engine-create-" + UUID().uuidString
    let rootfs = NSTemporaryDirectory() + "estiba-engine-create-rootfs-" + UUID().uuidString

    /// A tiny root file system: `/etc/greeting`.
    func makeRootfs() throws {
        try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: rootfs + "/etc/greeting"))
    }

    func removeAll() {
        try? FileManager.default.removeItem(atPath: root)
        try? FileManager.default.removeItem(atPath: rootfs)
    }

    @Test func anImageRemovedAndCollectedWhileACreateIsUnderWayStaysWholeForTheContainer() async throws {
        defer { removeAll() }
        try makeRootfs()
        let gate = Gate()
        var configuration = EngineConfiguration(root: root)
        configuration.beforeContainerRecord = { await gate.pause() }
        let engine = Engine(configuration: configuration)
        let image = try await engine.importImage(source: rootfs, reference: "tiny:1", changes: ["CMD [\"/bin/true\"]"])

        var options = RunOptions(image: "tiny:1")
        options.createOnly = true
        options.name = "made-during-collection"
        let create = Task { () async throws(EstibaError) -> RunResult in try await engine.run(options) }
        await gate.waitUntilReached()
        // No record names the image yet: rmi removes it (no container uses it) and collects, and so does prune.
        let removed = try await engine.removeImages(["tiny:1"], force: false)
        #expect(removed.count == 2, "the untag and the delete: \(removed)")
        _ = try await engine.pruneStore()
        gate.release()
        let result = try await create.value

        // The container mounts every layer of its image, and keeps the image (by ID) as `rmi -f` leaves it.
        let record = try #require(try engine.containers().first { $0.id == result.containerID })
        #expect(record.lowerDirectories.count == image.chainIDs.count + 1)
        for dir in record.lowerDirectories {
            #expect(FileManager.default.fileExists(atPath: dir + "/."), "\(dir) is gone")
        }
        #expect(FileManager.default.fileExists(atPath: record.lowerDirectories[1] + "/etc/greeting"))
        #expect(try await engine.inspectImage(image.id.description).id == image.id)
        _ = try await engine.pruneStore()
        #expect(try await engine.inspectImage(image.id.description).id == image.id)
        #expect(try engine.removeContainers([result.containerID], force: true) == [result.containerID])
    }

    /// New volumes are filled from the image while collections run beside: each create succeeds, each volume
    /// holds the image's files, and no scratch directory is left.
    @Test func volumesFilledBesideCollectionsAreWhole() async throws {
        defer { removeAll() }
        try makeRootfs()
        let engine = Engine(configuration: EngineConfiguration(root: root))
        _ = try await engine.importImage(source: rootfs, reference: "tiny:1", changes: ["CMD [\"/bin/true\"]"])
        let creates = 60
        // Collections from another process, on a thread of their own: the concurrency pool (which the test
        // runner's other tests keep busy) cannot hold them back.
        let collector = Collector(root: root)
        collector.start()
        var failures: [String] = []
        for i in 0..<creates {
            var options = RunOptions(image: "tiny:1")
            options.createOnly = true
            options.volumes = ["seeded-\(i):/etc"]
            do { _ = try await engine.run(options) } catch { failures.append("create \(i): \(error.message)") }
        }
        let rounds = collector.stop()
        #expect(rounds > 0)
        #expect(failures.isEmpty, "\(failures)")
        for i in 0..<creates {
            let greeting = root + "/volumes/seeded-\(i)/_data/greeting"
            #expect(FileManager.default.contents(atPath: greeting) == Data("hello\n".utf8), "volume \(i)")
        }
        _ = try await engine.pruneStore()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
    }
}
