import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

/// Leases keep what an operation writes out of garbage collection until it ends; a dead process's lease ends by
/// itself; opening the store clears what no live operation holds in `tmp/`.
@Suite struct LeaseTests {
    func withStore(_ body: (ImageStore, String) async throws -> Void) async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try writeFile(src + "/file", "leased\n")
        try await body(try ImageStore(root: root), src)
    }

    func leaseFiles(_ store: ImageStore) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: store.layout.leases) }

    @Test func aLeaseKeepsWhatItWroteUntilItEndsAndAFailedOperationFreesIt() async throws {
        try await withStore { store, src in
            let layout = store.layout
            let layer = try await store.withLease { () throws(EstibaError) -> LayerTar in
                let layer = try await store.addLayer(from: src, overlayUpper: false)
                let report = try await store.collectGarbage()
                #expect(report.blobs == 0)
                #expect(FileManager.default.fileExists(atPath: layout.blob(layer.diffID)))
                #expect(StoreFile.names(in: layout.leases).count == 1)
                return layer
            }
            #expect(try leaseFiles(store).isEmpty)
            // Nothing names the layer any more: it is garbage.
            #expect(try await store.collectGarbage().blobs == 1)
            #expect(!FileManager.default.fileExists(atPath: store.layout.blob(layer.diffID)))

            // A failed operation takes back what it wrote, with no collection run by hand.
            await #expect(throws: EstibaError.self) {
                try await store.withLease { () throws(EstibaError) in
                    _ = try await store.addLayer(from: src, overlayUpper: false)
                    throw EstibaError(.io, "The operation failed after writing its layer.")
                }
            }
            #expect(!FileManager.default.fileExists(atPath: store.layout.blob(layer.diffID)))
            #expect(try leaseFiles(store).isEmpty)
        }
    }

    @Test func theLeaseOfADeadProcessEndsByItself() async throws {
        try await withStore { store, src in
            let layer = try await store.addLayer(from: src, overlayUpper: false)
            // A lease file nobody locks: its process is gone.
            try writeFile(store.layout.lease("1-dead"), "blob \(layer.diffID.hex)\n")
            #expect(try await store.collectGarbage().blobs == 1)
            #expect(try leaseFiles(store).isEmpty)
        }
    }

    @Test func openingTheStoreClearsTmpEntriesNoLiveOperationHolds() async throws {
        try await withStore { store, _ in
            let tmp = store.layout.tmp
            try FileManager.default.createDirectory(atPath: tmp + "/dir-left/fs", withIntermediateDirectories: true)
            try writeFile(tmp + "/tmp-left", "half a blob")
            try FileManager.default.createDirectory(atPath: tmp + "/step-live", withIntermediateDirectories: true)
            let lock = try FileDescriptor.open(tmp + "/step-live/" + ScratchDirectory.lockName, [.readWrite, .create], permissions: 0o600)
            defer { lock.close() }
            #expect(try lock.lock(exclusive: true, wait: false))
            _ = try ImageStore(root: store.layout.root)
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["step-live"])
        }
    }
}
