import System

/// A fresh directory under /tmp for one test, removed with everything in it when the test ends.
final class Scratch {
    let path: String

    init() throws {
        path = try Files.makeTemporaryDirectory(in: "/tmp", prefix: "system-tests-")
    }

    deinit { try? Files.removeTree(path) }

    /// The absolute path of `relative` in the scratch directory.
    func at(_ relative: String) -> String { path + "/" + relative }

    /// Writes `text` to `relative`, creating the directories above it.
    func write(_ relative: String, _ text: String) throws {
        let full = at(relative)
        if let slash = full.lastIndex(of: "/") { try Files.makeDirectories(String(full[..<slash])) }
        try Files.write(Array(text.utf8), to: full)
    }

    /// The text of `relative`; nil when it cannot be read.
    func read(_ relative: String) -> String? {
        (try? Files.read(at(relative))).map { String(decoding: $0, as: UTF8.self) }
    }

    func link(_ relative: String, to target: String) throws { try Files.makeSymbolicLink(at(relative), to: target) }
}

/// `count` bytes of a pattern that shows misplaced or lost chunks.
func patternBytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) } }
