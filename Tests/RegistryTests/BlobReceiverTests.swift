import Foundation
import ImageStore
import System
import Testing

@testable import Registry

@Suite struct BlobReceiverTests {
    let whole = Array("the whole of a blob, in two halves".utf8)

    /// A receiver writing to `dir/blob` (made first, as the store's `incomingFile` makes it).
    func receiver(_ dir: String) throws -> BlobReceiver {
        FileManager.default.createFile(atPath: dir + "/blob", contents: nil)
        return try BlobReceiver(path: dir + "/blob", expectedSize: Int64(whole.count), cancelled: PullCancellation()) { _ in }
    }

    @Test func aResumedTransferHashesOnFromWhereItStopped() throws {
        let dir = try temporaryDirectory("blob")
        defer { removeTree(dir) }
        let r = try receiver(dir)
        let half = whole.count / 2
        try whole[..<half].withUnsafeBytes { try r.receive($0) }
        #expect(try r.retry() == Int64(half))
        try r.begin(status: 206, headers: [("Content-Range", "bytes \(half)-\(whole.count - 1)/\(whole.count)")])
        try whole[half...].withUnsafeBytes { try r.receive($0) }
        let got = try r.finish()
        #expect(got.digest == Digest.of(whole) && got.size == Int64(whole.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/blob")) == Data(whole))
    }

    @Test func aServerThatIgnoresRangeStartsOverAndAWrongRangeIsRefused() throws {
        let dir = try temporaryDirectory("blob")
        defer { removeTree(dir) }
        let r = try receiver(dir)
        try whole[..<5].withUnsafeBytes { try r.receive($0) }
        _ = try r.retry()
        try r.begin(status: 200, headers: [])
        try whole.withUnsafeBytes { try r.receive($0) }
        #expect(try r.finish().digest == Digest.of(whole))

        let other = try receiver(dir)
        try whole[..<5].withUnsafeBytes { try other.receive($0) }
        _ = try other.retry()
        #expect(throws: EstibaError.self) { try other.begin(status: 206, headers: [("Content-Range", "bytes 0-9/34")]) }
        // More than the descriptor's size is refused too.
        try other.begin(status: 206, headers: [("Content-Range", "bytes 5-33/34")])
        #expect(throws: EstibaError.self) { try whole.withUnsafeBytes { try other.receive($0) } }
    }
}
