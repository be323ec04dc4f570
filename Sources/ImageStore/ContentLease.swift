import System

/// A hold on the store's content (a flock of `locks/content.lock`). Work that writes or reads blobs, snapshots or
/// `tmp/` outside the index lock (imports, commits, loads, saves, new snapshots) holds it shared; `prune` holds it
/// exclusively, so it never sweeps away what such work, in this process or another, is still using.
final class ContentLease: Sendable {
    private let file: FileDescriptor

    private init(_ file: FileDescriptor) { self.file = file }

    /// A shared hold; it waits (on a store thread, never on the caller's) only while a prune runs.
    static func shared(_ layout: StoreLayout) async throws(EstibaError) -> ContentLease {
        let file = try open(layout)
        let held = try file.lock(exclusive: false, wait: false)
        if !held {
            try await runOnThread { () throws(EstibaError) in
                _ = try file.lock(exclusive: false)
            }
        }
        return ContentLease(file)
    }

    /// The exclusive hold, once no shared one is left (blocks: call it on a store thread).
    static func exclusive(_ layout: StoreLayout) throws(EstibaError) -> ContentLease {
        let file = try open(layout)
        try file.lock(exclusive: true)
        return ContentLease(file)
    }

    func release() { file.close() }

    private static func open(_ layout: StoreLayout) throws(EstibaError) -> FileDescriptor {
        try layout.openLock(layout.contentLock)
    }
}
