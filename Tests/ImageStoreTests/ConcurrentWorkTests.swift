import Foundation
import Glibc
import Synchronization
import System
import Testing

@testable import ImageStore

/// Imports, commits and snapshots run outside the store's actor: the index answers meanwhile, and work that
/// overlaps (the same layer twice, an import beside a prune or a removal) still leaves a valid store.
@Suite struct ConcurrentWorkTests {
    /// A tree of a few files, one of them larger than a pipe's buffer.
    func tree(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        try writeFile(dir + "/etc/os-release", "NAME=test\n")
        try writeFile(dir + "/big", String(repeating: "0123456789abcdef", count: 64 << 10))
        for i in 0..<8 { try writeFile(dir + "/file\(i)", "file \(i)\n") }
    }

    /// Runs `body` on a new store and a source tree made by `tree`, both removed afterwards.
    func withStore(_ body: (ImageStore, String) async throws -> Void) async throws {
        let root = try temporaryDirectory("root")
        let src = try temporaryDirectory("rootfs")
        defer { removeTree(root); removeTree(src) }
        try tree(src)
        try await body(try ImageStore(root: root), src)
    }

    /// The store holds exactly what its index lists: verify finds nothing and no staging is left in `tmp/`.
    func expectValid(_ store: ImageStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(await store.verify().problems == [], sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.tmp) == [], sourceLocation: sourceLocation)
    }

    @Test func concurrentImportsAndCommitsOfTheSameLayerLeaveOneValidLayer() async throws {
        try await withStore { store, src in
            let images = try await withThrowingTaskGroup(of: ImageRecord.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "imported", tag: "\(i)"), comment: "")
                    }
                    group.addTask {
                        let layer = try await store.addLayer(from: src, overlayUpper: false)
                        var config = ImageConfig(architecture: HostPlatform.architecture, created: Timestamp(seconds: Int64(i)))
                        config.diffIDs = [layer.diffID]
                        return try await store.add(config: config, layers: [(layer.diffID, layer.size)], reference: ImageReference(name: "committed", tag: "\(i)"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(images.count == 12)
            #expect(Set(images.map(\.config.diffIDs)).count == 1)
            #expect(try await store.images().flatMap(\.references).count == 12)
            let diffID = try #require(images.first?.config.diffIDs.first)
            #expect(fileSHA256(store.layout.blob(diffID)) == diffID.description)
            #expect(FileManager.default.fileExists(atPath: store.layout.layerInfo(diffID)))
            try await expectValid(store)

            // Every image's first use wants the same snapshot at once: one is made, and each sees the whole tree.
            let lowers = try await withThrowingTaskGroup(of: [String].self) { group in
                for image in images { group.addTask { try await store.lowerDirectories(of: image) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(lowers).count == 1)
            let lower = try #require(lowers.first?.first)
            #expect(try String(contentsOfFile: lower + "/etc/os-release", encoding: .utf8) == "NAME=test\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.snapshots).count == 1)
            try await expectValid(store)
        }
    }

    @Test func theIndexAnswersWhileAnImportRuns() async throws {
        try await withStore { store, src in
            let small = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "small"), comment: "")
            let archive = try HeldArchive(of: src)
            defer { archive.remove() }
            let importing = Task {
                try await store.importImage(.tarball(archive.path), config: ContainerConfig(), reference: ImageReference(name: "big"), comment: "")
            }
            try await archive.start()
            // The import now waits for the rest of its archive; the index must answer without waiting for it.
            let answers = Mutex<[String]>([])
            let asking = Task {
                let listed = try await store.images().count
                answers.withLock { $0.append("images: \(listed)") }
                let found = try await store.image("small").id
                answers.withLock { $0.append("inspect: \(found == small.id)") }
                let removed = try await store.remove("small", force: false)
                answers.withLock { $0.append("rmi: \(removed.count)") }
            }
            for _ in 0..<1000 where answers.withLock({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(10)) }
            let answeredDuringImport = answers.withLock { $0 }
            try archive.finish()
            let big = try await importing.value
            try await asking.value
            #expect(answeredDuringImport == ["images: 1", "inspect: true", "rmi: 2"])
            #expect(big.config.diffIDs == small.config.diffIDs)
            #expect(try await store.images().map(\.references) == [[ImageReference(name: "big")]])
            try await expectValid(store)
        }
    }

    @Test func pruneWaitsForAnImportUnderWayAndKeepsWhatItWrites() async throws {
        try await withStore { store, src in
            let archive = try HeldArchive(of: src)
            defer { archive.remove() }
            let importing = Task {
                try await store.importImage(.tarball(archive.path), config: ContainerConfig(), reference: ImageReference(name: "held"), comment: "")
            }
            try await archive.start()
            // The import's staging is in tmp/ and its image is not listed yet: a prune now would sweep both away.
            let pruned = Mutex(false)
            let pruning = Task {
                let report = try await store.prune()
                pruned.withLock { $0 = true }
                return report
            }
            try await Task.sleep(for: .milliseconds(300))
            let prunedDuringImport = pruned.withLock { $0 }
            try archive.finish()
            let image = try await importing.value
            let report = try await pruning.value
            #expect(!prunedDuringImport)
            #expect(report == PruneReport(blobs: 0, snapshots: 0, bytes: 0))
            #expect(try await store.image("held").id == image.id)
            let lowers = try await store.lowerDirectories("held")
            #expect(try String(contentsOfFile: try #require(lowers.first) + "/etc/os-release", encoding: .utf8) == "NAME=test\n")
            try await expectValid(store)
        }
    }

    @Test func importsBesideRemovalsAndPrunesLeaveAValidStore() async throws {
        try await withStore { store, src in
            for i in 0..<4 {
                _ = try await store.importImage(
                    .directory(src), config: ContainerConfig(), reference: ImageReference(name: "old", tag: "\(i)"), comment: "",
                    created: Timestamp(seconds: Int64(i)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        _ = try await store.importImage(.directory(src), config: ContainerConfig(), reference: ImageReference(name: "new", tag: "\(i)"), comment: "")
                    }
                    group.addTask {
                        _ = try await store.remove("old:\(i)", force: false)
                        _ = try await store.prune()
                    }
                }
                try await group.waitForAll()
            }
            let listed = try await store.images()
            #expect(Set(listed.flatMap(\.references)) == Set((0..<4).map { ImageReference(name: "new", tag: "\($0)") }))
            for image in listed { #expect(try await store.lowerDirectories(of: image).count == 1) }
            try await expectValid(store)
        }
    }
}

/// A layer tar fed through a named pipe: an import of it stays under way, reading, until `finish`.
final class HeldArchive: Sendable {
    let path: String
    private let bytes: [UInt8]
    private let writer = Mutex<Int32>(-1)

    init(of directory: String) throws {
        let (tar, _) = try writeLayer(directory)
        defer { removeTree(tar) }
        bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: tar)))
        path = "/tmp/estiba-held-\(UUID().uuidString.prefix(8)).tar"
        guard mkfifo(path, 0o600) == 0 else { throw EstibaError.last("make the pipe", path: path) }
    }

    /// Waits until the import opened the pipe, then gives it the archive's first block only.
    func start() async throws {
        var fd: Int32 = -1
        for _ in 0..<1000 {
            fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard fd >= 0 else { throw EstibaError(.io, "Nothing opened \(path) to read it.") }
        _ = fcntl(fd, F_SETFL, 0)
        try write(fd, bytes[0..<512])
        writer.withLock { $0 = fd }
    }

    /// Gives the import the rest of the archive.
    func finish() throws {
        let fd = writer.withLock { $0 }
        defer { close(fd) }
        try write(fd, bytes[512...])
    }

    func remove() { unlink(path) }

    private func write(_ fd: Int32, _ part: ArraySlice<UInt8>) throws {
        try part.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress.map { $0 + off }, raw.count - off)
                guard n > 0 else { throw EstibaError.last("write", path: path) }
                off += n
            }
        }
    }
}
