import Engine
import Foundation
import System
import Testing

/// `parse` of a file: a regular file within the size limit is read whole; anything else is refused with the
/// reason.
@Suite struct ParseSourceTests {
    let directory = NSTemporaryDirectory() + "estiba-engine-parse-" + UUID().uuidString

    func engine(limit: Int = 64 << 20) -> Engine {
        Engine(configuration: EngineConfiguration(root: directory + "/store", maxDockerfileSize: limit))
    }

    func failure(_ path: String, limit: Int = 64 << 20) -> EstibaError? {
        do {
            _ = try engine(limit: limit).parseNow(.path(path))
            return nil
        } catch { return error }
    }

    @Test func aDockerfileIsReadWholeAndOtherFilesAreRefused() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = "FROM scratch AS one\nCOPY a /a\nFROM one\n" + String(repeating: "# padding\n", count: 10_000)
        let path = directory + "/Dockerfile"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let report = try engine().parseNow(.path(path))
        #expect(report.path == path && report.analysis.stages.count == 2)
        #expect(report.analysis.parsed.instructions.count == 3)
        let missing = failure(directory + "/nothing")
        #expect(missing?.code == .notFound && missing?.context == ["file": directory + "/nothing"])
        #expect(failure(directory)?.code == .invalidArgument)
        let large = failure(path, limit: 100)
        #expect(large?.code == .invalidArgument)
        #expect(large?.message == "\(path) is \(text.utf8.count) bytes, over the 100-byte limit for a Dockerfile.")
    }
}
