import System

/// A hold on the store's content lock (a flock of `locks/content.lock`). Work that writes or reads blobs, snapshots
/// or `tmp/` outside the index lock (imports, commits, loads, saves, new snapshots, lease holds) holds it shared;
/// garbage collection holds it exclusively, so it sees no write half done, in this process or another.
final class ContentLease: Sendable {
    private let file: FileDescriptor

    private init(_ file: FileDescriptor) { self.file = file }

    /// A shared hold; it waits (on a store thread, never on the caller's) only while a collection runs.
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
