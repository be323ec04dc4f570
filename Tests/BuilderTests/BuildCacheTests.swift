import Foundation
import Testing

@testable import Builder
@testable import ImageStore

/// The step cache on disk: records by key, and the markers that explain a miss.
@Suite struct BuildCacheTests {
    func record(_ n: Int, key: Digest, parent: String = "scratch") -> CacheRecord {
        CacheRecord(
            key: key, parent: parent, instruction: "RUN step \(n)", sources: [("file-\(n).txt", String(repeating: "ab", count: n + 1))],
            args: [("V", "\(n)")], manifest: Digest.of("manifest \(n)"), image: Digest.of("image \(n)"), created: n, layerSize: Int64(n))
    }

    /// A saved step is found by its key, by its parent and by its instruction; saving it again replaces the
    /// record whole, readable only by its owner.
    @Test func aSavedStepIsFoundAndReplacedWhole() throws {
        let root = try scratchDirectory("cache-save")
        defer { removeTree(root) }
        let cache = try BuildCache(root: root)
        let key = Digest.of("a step")
        let parent = Digest.of("parent image").description
        try cache.save(record(1, key: key, parent: parent))
        #expect(cache.lookup(key)?.instruction == "RUN step 1")
        #expect(cache.children(of: parent).map(\.key) == [key])
        #expect(cache.withInstruction("RUN step 1").map(\.key) == [key])
        #expect(cache.parent(of: Digest.of("image 1")) == parent)
        try cache.save(record(7, key: key, parent: parent))
        let saved = try #require(cache.lookup(key))
        #expect(saved.instruction == "RUN step 7" && saved.sources.map(\.1) == [String(repeating: "ab", count: 8)] && saved.layerSize == 7)
        let path = cache.directory + "/records/" + key.hex + ".json"
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(cache.manifests() == [Digest.of("manifest 7")])
    }

    /// Two builds in one service can finish the same step at once: each save writes a whole record under a name
    /// of its own and renames it into place, so every save succeeds, the record is one of theirs, untorn, and
    /// no temporary file is left.
    @Test func concurrentSavesOfOneStepAllSucceedAndLeaveOneWholeRecord() async throws {
        let root = try scratchDirectory("cache-race")
        defer { removeTree(root) }
        let cache = try BuildCache(root: root)
        let key = Digest.of("one step")
        let saves = 48
        let failures = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<saves { group.addTask { (try? cache.save(self.record(n, key: key))) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 0)
        let saved = try #require(cache.lookup(key))
        #expect(saved.json.encoded() == record(saved.created, key: key).json.encoded())
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory + "/records") == [key.hex + ".json"])
    }
}
