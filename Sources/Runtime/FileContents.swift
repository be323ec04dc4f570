import System

/// Reading whole small files (records, bundles, /etc files) where a missing or unreadable file is simply
/// absent; `Files.read` does the work and says why when it fails.
public enum FileContents {
    /// The whole file, or its first `limit` bytes; nil when it cannot be opened or read.
    public static func read(_ path: String, limit: Int = .max) -> [UInt8]? {
        try? Files.read(path, upTo: limit)
    }
}
