import Foundation
import Testing

/// Locates `../shared/conformance` (or `$ESTIBA_CONFORMANCE_DIR`). Under CI a missing directory is a failure.
enum Conformance {
    static var directory: URL? {
        let env = ProcessInfo.processInfo.environment
        let url: URL
        if let d = env["ESTIBA_CONFORMANCE_DIR"], !d.isEmpty {
            url = URL(fileURLWithPath: d)
        } else {
            let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            url = repo.deletingLastPathComponent().appendingPathComponent("shared/conformance")
        }
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The conformance directory; records an issue when it is missing and `CI` is set.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if let d = directory { return d }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record("conformance data not found: set ESTIBA_CONFORMANCE_DIR or place shared/ beside the repo",
                sourceLocation: sourceLocation)
        }
        return nil
    }

    static func read(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    static func subdirectories(_ url: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
