import CSys
import Glibc
import ImageStore
import Runtime

/// A step's scratch space under the store's `tmp/`: an overlay upper and work directory on top of the parent
/// image, and a mount point. Removed (and unmounted) when the step ends, whatever happens; while it lives, its
/// lock file is held so `system prune` leaves it alone (and clears it if this process is killed).
final class StepWorkspace {
    let directory: String
    var upper: String { directory + "/upper" }
    var work: String { directory + "/work" }
    var mountPoint: String { directory + "/rootfs" }
    let lowers: [String]
    private var mounted: [String] = []
    private let lock: Int32

    /// `lowers`: the parent's snapshots, top first (may be empty); an empty directory is always added at the
    /// bottom so an overlay always has a lower layer.
    init(tmp: String, lowers: [String], empty: String, initLayer: String? = nil) throws(BuildError) {
        var template = Array((tmp + "/step-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw BuildError(.io, "Cannot create a build step directory in \(tmp): \(String(cString: strerror(errno))).")
        }
        let directory = String(cString: made)
        do { lock = try ScratchDirectory.claim(directory) } catch {
            FileTree.remove(directory)
            throw BuildError(.io, error.message)
        }
        self.directory = directory
        self.lowers = (initLayer.map { [$0] } ?? []) + lowers + [empty]
        for d in [upper, work, mountPoint] where mkdir(d, 0o755) != 0 {
            throw BuildError(.io, "Cannot create \(d): \(String(cString: strerror(errno))).")
        }
    }

    /// Mounts the overlay (parent layers + this step's upper) on `mountPoint` in this process's namespace.
    func mountRoot() throws(BuildError) -> RootFS {
        let options = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        guard csys_mount("overlay", mountPoint, "overlay", 0, options) == 0 else {
            throw BuildError(.io, "Cannot mount the build root (overlay): \(String(cString: strerror(errno))).")
        }
        mounted.append(mountPoint)
        return try RootFS(path: mountPoint)
    }

    /// Mounts an image's layers read-only at a new directory (for `COPY --from`).
    func mountReadOnly(_ imageLowers: [String], empty: String) throws(BuildError) -> String {
        let target = directory + "/from-\(mounted.count)"
        guard mkdir(target, 0o755) == 0 else { throw BuildError(.io, "Cannot create \(target): \(String(cString: strerror(errno))).") }
        let options = "lowerdir=\((imageLowers + [empty]).joined(separator: ":"))"
        guard csys_mount("overlay", target, "overlay", UInt(MS_RDONLY), options) == 0 else {
            throw BuildError(.io, "Cannot mount a source image (overlay): \(String(cString: strerror(errno))).")
        }
        mounted.append(target)
        return target
    }

    func unmountAll() {
        for m in mounted.reversed() { _ = csys_umount(m) }
        mounted.removeAll()
    }

    deinit {
        unmountAll()
        FileTree.remove(directory)
        close(lock)
    }
}

enum PathCleanHelpers {
    /// The last component of a path.
    static func base(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: i)...])
    }
}
