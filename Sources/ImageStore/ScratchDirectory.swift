import System

/// Scratch directories under the store's `tmp/`. One that a live process works in (a build step) holds a `lock`
/// file that process keeps locked with flock; `prune` removes only scratch directories nobody holds, unmounting
/// first whatever a killed process left mounted in them.
public enum ScratchDirectory {
    public static let lockName = "lock"

    /// Whether a live process holds the scratch entry `name` of `directory`.
    public static func isHeld(_ directory: FileDescriptor, _ name: String) -> Bool {
        guard let file = try? directory.open(name + "/" + lockName, .noFollow),
            let locked = try? file.lock(exclusive: true, wait: false)
        else { return false }
        if locked { file.unlock() }
        return !locked
    }

    /// Detaches every mount at or below `path` (deepest first). False when one is still there afterwards.
    static func unmountAll(under path: String) -> Bool {
        guard let prefix = try? Files.realPath(path) else { return false }
        for _ in 0..<8 {
            guard let points = try? Mounts.points(under: prefix) else { return false }
            if points.isEmpty { return true }
            for p in points.sorted(by: { $0.utf8.count > $1.utf8.count }) { try? Mounts.detach(p) }
        }
        return (try? Mounts.points(under: prefix))?.isEmpty == true
    }
}
