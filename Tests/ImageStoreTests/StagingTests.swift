import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

/// Files staged in `tmp/` end up in place or are removed: no write leaves anything behind there.
@Suite struct StagingTests {
    func stagedNames(_ store: ImageStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.layout.tmp)
    }

    @Test func compressedLayersAreStoredOnceAndLeaveNoStaging() async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try writeFile(src + "/file", "content\n")
        let (tar, layer) = try writeLayer(src)
        defer { removeTree(tar); removeTree(tar + ".gz") }
        _ = try runProcess(["gzip", "-k", "-n", tar])
        let store = try ImageStore(root: root)
        let content = ContentStore(layout: store.layout)

        let stored = try store.adoptLayer(tar + ".gz", diffID: layer.diffID, movable: false)
        #expect(stored.digest == layer.diffID && stored.size == layer.size)
        #expect(fileSHA256(store.layout.blob(layer.diffID)) == layer.diffID.description)
        var st = stat()
        #expect(stat(store.layout.blob(layer.diffID), &st) == 0 && st.st_mode & 0o7777 == 0o644)
        #expect(try stagedNames(store).isEmpty)
        #expect(FileManager.default.fileExists(atPath: tar + ".gz"), "a file that is not ours is copied, never moved")

        // The same layer again, and one that does not match its digest: nothing new stays in tmp/.
        content.delete(layer.diffID)
        _ = try store.adoptLayer(tar, diffID: layer.diffID, movable: false)
        _ = try store.adoptLayer(tar + ".gz", diffID: layer.diffID, movable: false)
        #expect(throws: EstibaError.self) { try store.adoptLayer(tar + ".gz", diffID: Digest.of([1, 2, 3]), movable: false) }
        #expect(try stagedNames(store).isEmpty)
        #expect(content.all() == [layer.diffID])
    }

    @Test func aLayerWrittenTwiceIsKeptOnceAndLeavesNoStaging() throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try writeFile(src + "/file", "content\n")
        let store = try ImageStore(root: root)
        let content = ContentStore(layout: store.layout)
        let first = try content.putLayer(from: src)
        let second = try content.putLayer(from: src)
        #expect(first == second)
        #expect(content.all() == [first.diffID])
        #expect(try stagedNames(store).isEmpty)
    }
}
