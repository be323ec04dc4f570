import Engine
import Foundation
import System
import Testing

/// `builder prune` and `system prune` on a store of its own with a busybox image: which steps of the build cache
/// go, that their content is reclaimed, and what the next build reuses.
@Suite(.serialized) struct BuildCachePruneTests {
    let base = NSTemporaryDirectory() + "estiba-engine-cache-" + UUID().uuidString
    var root: String { base + "/store" }
    var context: String { base + "/context" }

    /// An engine on a new store holding `busybox:latest` (the host's busybox-static and its applets).
    func busyboxEngine() async throws -> Engine {
        let rootfs = base + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "echo", "head", "cat", "true"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let engine = Engine(configuration: EngineConfiguration(root: root))
        _ = try await engine.importImage(source: rootfs, reference: "busybox:latest", changes: ["CMD [\"sh\"]", "ENV PATH=/bin"])
        return engine
    }

    /// Builds `lines` (after `FROM busybox`) as `tag`.
    func build(_ engine: Engine, _ lines: [String], tag: String) async throws -> BuildResult {
        var options = BuildOptions(contextDirectory: context)
        options.dockerfileText = (["FROM busybox"] + lines).joined(separator: "\n") + "\n"
        return try await engine.build(options, tags: [tag])
    }

    /// Whether each step after FROM was served by the cache.
    func cached(_ r: BuildResult) -> [Bool] { r.steps.dropFirst().map { $0.cached == true } }

    /// Bytes of the store's blobs.
    func blobBytes() throws -> Int {
        let dir = root + "/oci/blobs/sha256"
        return try FileManager.default.contentsOfDirectory(atPath: dir).reduce(0) { sum, name in
            sum + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? 0)
        }
    }

    /// Which of the steps below each entry is (by the file it writes).
    func files(_ entries: [BuildCacheEntry]) -> [String] {
        entries.map { e in ["/big", "/small", "/base"].first { e.instruction.contains($0 + "\"") } ?? e.instruction }
    }

    static let big = "RUN head -c 400000 /dev/urandom > /big"
    static let small = "RUN echo small > /small"
    static let shared = "RUN echo base > /base"

    @Test func danglingStepsGoWithTheirContentAndTheNextBuildRunsOnlyThem() async throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let engine = try await busyboxEngine()
        let first = try await build(engine, [Self.shared, Self.big], tag: "app:1")
        #expect(cached(first) == [false, false])
        let bigImage = try #require(first.steps.last?.imageID)
        // The tag moves to a build with another last step: the first one's last step is needed by no tag.
        let second = try await build(engine, [Self.shared, Self.small], tag: "app:1")
        #expect(cached(second) == [true, false])
        let cache = try await engine.buildCache()
        #expect(cache.count == 3)
        #expect(files(cache.filter { !$0.inUse }) == ["/big"])
        // The untagged image is removed, yet its step's content stays: the build cache keeps it.
        _ = try await engine.removeImages([bigImage.description], force: false)
        #expect(try await engine.inspectImage(bigImage.description).id == bigImage)
        let before = try blobBytes()

        let report = try await engine.pruneBuildCache()
        #expect(files(report.removed) == ["/big"])
        #expect(report.removed.first?.image == bigImage)
        #expect(report.collected.bytes >= 400_000)
        #expect(try before - blobBytes() >= 400_000)
        await #expect(throws: EstibaError.self) { try await engine.inspectImage(bigImage.description) }
        #expect(try await engine.buildCache().map(\.inUse) == [true, true])
        // Nothing dangles any more.
        #expect(try await engine.pruneBuildCache().removed.isEmpty)

        // Kept steps are reused, the removed one runs again.
        let again = try await build(engine, [Self.shared, Self.big], tag: "app:2")
        #expect(cached(again) == [true, false])
        let history = try await engine.history("app:1")
        #expect(history.allSatisfy { $0.imageID != nil }, "history of a tagged image keeps its steps: \(history)")
    }

    @Test func allRemovesEveryStepButTaggedImagesKeepTheirHistory() async throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let engine = try await busyboxEngine()
        _ = try await build(engine, [Self.shared, Self.small], tag: "app:1")
        #expect(try await engine.pruneBuildCache().removed.isEmpty)
        // Steps built less than an hour ago are younger than the filter.
        #expect(try await engine.pruneBuildCache(all: true, until: try Engine.pruneAge("1h")).removed.isEmpty)
        let report = try await engine.pruneBuildCache(all: true)
        #expect(Set(files(report.removed)) == ["/base", "/small"])
        #expect(try await engine.buildCache().isEmpty)
        let history = try await engine.history("app:1")
        #expect(history.allSatisfy { $0.imageID != nil }, "\(history)")
        let rebuilt = try await build(engine, [Self.shared, Self.small], tag: "app:1")
        #expect(cached(rebuilt) == [false, false])
        #expect(throws: EstibaError.self) { try Engine.pruneAge("yesterday") }
    }

    @Test func systemPruneRemovesDanglingBuildCacheAndAllOfItWithAll() async throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let engine = try await busyboxEngine()
        _ = try await build(engine, [Self.shared, Self.big], tag: "app:1")
        let bigImage = try #require(try await build(engine, [Self.shared, Self.big], tag: "app:1").steps.last?.imageID)
        _ = try await build(engine, [Self.shared, Self.small], tag: "app:1")
        _ = try await engine.removeImages([bigImage.description], force: false)
        let report = try await engine.pruneSystem()
        #expect(files(report.buildCache.removed) == ["/big"])
        #expect(report.bytes >= 400_000)
        #expect(try await engine.buildCache().count == 2)
        let all = try await engine.pruneSystem(all: true)
        #expect(all.buildCache.removed.count == 2)
        #expect(try await engine.buildCache().isEmpty)
        #expect(try await engine.inspectImage("app:1").config.config.env.contains("PATH=/bin"))
    }

    /// Builds whose steps the cache serves beside prunes of all the cache, their images removed after each (so
    /// only the cache keeps the steps' images): every build succeeds (a step whose record goes meanwhile is
    /// served or runs again), and the store verifies.
    @Test func buildsBesidePrunesOfAllTheCacheSucceed() async throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let engine = try await busyboxEngine()
        let steps = (0..<6).map { "ENV V\($0)=\($0)" } + [Self.shared, Self.small]
        _ = try await build(engine, steps, tag: "app:1")
        let pruning = Task {
            var rounds = 0
            while !Task.isCancelled {
                _ = try? await engine.pruneBuildCache(all: true)
                rounds += 1
            }
            return rounds
        }
        var failures: [String] = []
        for i in 0..<16 {
            do {
                _ = try await build(engine, steps, tag: "app:1")
                _ = try await engine.removeImages(["app:1"], force: false)
            } catch { failures.append("build \(i): \(error)") }
        }
        pruning.cancel()
        #expect(await pruning.value > 0)
        #expect(failures.isEmpty, "\(failures)")
        #expect(try await engine.verifyStore().problems.isEmpty)
    }
}
