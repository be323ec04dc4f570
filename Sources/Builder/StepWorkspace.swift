import Runtime
import System

/// A step's scratch space under the store's `tmp/`: an active snapshot (upper and work directory) on top of the
/// parent image, a mount point, and the step's bundle files. Removed (and unmounted) when the step ends, whatever
/// happens; while it lives, its lock is held so `system prune` leaves it alone (and clears it if this process is
/// killed).
final class StepWorkspace {
    private let scratch: ScratchSpace
    /// The step's writable snapshot on the parent image's layers.
    let snapshot: ActiveSnapshot
    private var views = 0

    var directory: String { scratch.directory }
    var upper: String { snapshot.upper }
    var work: String { snapshot.work }
    var mountPoint: String { directory + "/" + Self.rootName }
    var lowers: [String] { snapshot.parents }

    private static let rootName = "rootfs"

    /// `lowers`: the parent's snapshots, top first (may be empty); an empty directory is always added at the
    /// bottom so an overlay always has a lower layer.
    init(tmp: String, lowers: [String], empty: String, initLayer: String? = nil) throws(EstibaError) {
        do {
            scratch = try ScratchSpace(in: tmp, prefix: "step")
            snapshot = try ActiveSnapshot.prepare(in: scratch.directory, parents: (initLayer.map { [$0] } ?? []) + lowers + [empty])
        } catch {
            throw error.recoded(.io)
        }
        do { try Files.makeDirectory(mountPoint) } catch {
            throw EstibaError.build(.io, "Cannot create \(mountPoint): \(error.reason).")
        }
    }

    /// Mounts the overlay (parent layers + this step's upper) on `mountPoint` in this process's namespace.
    func mountRoot() throws(EstibaError) -> RootFS {
        do { try scratch.mount(snapshot.mount, on: Self.rootName) } catch { throw error.recoded(.io) }
        return try RootFS(path: mountPoint)
    }

    /// Mounts an image's layers read-only at a new directory (for `COPY --from`).
    func mountReadOnly(_ imageLowers: [String], empty: String) throws(EstibaError) -> String {
        views += 1
        do { return try scratch.mount(OverlayMount(lowers: imageLowers + [empty]), on: "from-\(views)") } catch {
            throw error.recoded(.io)
        }
    }

    func unmountAll() { scratch.unmountAll() }
}

enum PathCleanHelpers {
    /// The last component of a path.
    static func base(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: i)...])
    }
}
