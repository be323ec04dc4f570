import Foundation
import ImageStore
import System
import Testing

@testable import Registry

/// Compressed layers decompressed as they download: what comes out, and what makes a pull fall back to a plain
/// download.
@Suite struct StreamedLayerTests {
    /// `data` gzip-compressed by gzip(1).
    func gzipped(_ data: [UInt8], in dir: String) throws -> [UInt8] {
        try Data(data).write(to: URL(fileURLWithPath: dir + "/plain"))
        #expect(try run("/bin/gzip", ["-1", "-k", dir + "/plain"]).status == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/plain.gz")))
    }

    @Test func aGzipStreamComesOutWholeAndACutOneIsRefused() async throws {
        let dir = try temporaryDirectory("streamed")
        defer { removeTree(dir) }
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 1000) }
        let compressed = try gzipped(data, in: dir)
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        let decompressor = try LayerDecompressor(path: dir + "/out")
        let receiver = BlobReceiver(decompressor: decompressor, expectedSize: Int64(compressed.count), cancelled: PullCancellation()) { _ in }
        for start in stride(from: 0, to: compressed.count, by: 10_000) {
            try compressed[start..<min(start + 10_000, compressed.count)].withUnsafeBytes { try receiver.receive($0) }
        }
        #expect(try receiver.finish() == (Digest.of(compressed), Int64(compressed.count)))
        #expect(try await decompressor.finish() == Int64(data.count))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/out"))) == data)

        // A gzip stream cut short is refused.
        FileManager.default.createFile(atPath: dir + "/cut", contents: nil)
        let refusing = try LayerDecompressor(path: dir + "/cut")
        try? refusing.send(Array(compressed.prefix(compressed.count / 2)))
        await #expect(throws: EstibaError.self) { _ = try await refusing.finish() }
        // Bytes in no compressed format come out as they are (the store's diff ID check judges them).
        FileManager.default.createFile(atPath: dir + "/raw", contents: nil)
        let raw = try LayerDecompressor(path: dir + "/raw")
        try raw.send(data)
        #expect(try await raw.finish() == Int64(data.count))
    }

    @Test func startingOverAfterBytesWentOnAsksForAPlainDownload() throws {
        let dir = try temporaryDirectory("streamed")
        defer { removeTree(dir) }
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        let decompressor = try LayerDecompressor(path: dir + "/out")
        let receiver = BlobReceiver(decompressor: decompressor, expectedSize: 100, cancelled: PullCancellation()) { _ in }
        // Nothing sent yet: starting over is free.
        try receiver.reset()
        try Array("0123456789".utf8).withUnsafeBytes { try receiver.receive($0) }
        // A resumed transfer continues the stream; one that starts over cannot.
        #expect(try receiver.retry() == 10)
        #expect(throws: EstibaError.self) { try receiver.begin(status: 200, headers: []) }
        do {
            try receiver.reset()
            Issue.record("a reset after bytes went on was accepted")
        } catch {
            #expect((error as? EstibaError)?.context[BlobReceiver.restartNeeded] != nil)
        }
    }
}
