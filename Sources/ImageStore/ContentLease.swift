import Glibc

/// A hold on the store's content (a flock of `locks/content.lock`). Work that writes or reads blobs, snapshots or
/// `tmp/` outside the index lock (imports, commits, loads, saves, new snapshots) holds it shared; `prune` holds it
/// exclusively, so it never sweeps away what such work, in this process or another, is still using.
final class ContentLease: Sendable {
    private let fd: Int32

    private init(_ fd: Int32) { self.fd = fd }

    /// A shared hold; it waits (on a store thread, never on the caller's) only while a prune runs.
    static func shared(_ layout: StoreLayout) async throws(StoreError) -> ContentLease {
        let fd = try open(layout)
        do throws(StoreError) {
            if try !lock(fd, LOCK_SH | LOCK_NB, layout) {
                try await StoreThread.run { () throws(StoreError) in _ = try lock(fd, LOCK_SH, layout) }
            }
        } catch {
            close(fd)
            throw error
        }
        return ContentLease(fd)
    }

    /// The exclusive hold, once no shared one is left (blocks: call it on a store thread).
    static func exclusive(_ layout: StoreLayout) throws(StoreError) -> ContentLease {
        let fd = try open(layout)
        do throws(StoreError) {
            _ = try lock(fd, LOCK_EX, layout)
        } catch {
            close(fd)
            throw error
        }
        return ContentLease(fd)
    }

    func release() { close(fd) }

    private static func open(_ layout: StoreLayout) throws(StoreError) -> Int32 {
        let fd = Glibc.open(layout.contentLock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("Cannot open lock file", layout.contentLock, errno: errno) }
        return fd
    }

    /// True once locked; false when `operation` has LOCK_NB and another holder is in the way.
    private static func lock(_ fd: Int32, _ operation: Int32, _ layout: StoreLayout) throws(StoreError) -> Bool {
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw StoreError.io("Cannot lock", layout.contentLock, errno: errno)
        }
        return true
    }
}
