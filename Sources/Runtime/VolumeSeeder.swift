import ImageStore
import System

/// Fills a new volume with what the image has at the volume's path (Docker copies an image's files into a new
/// volume mounted over them), keeping types, owners, modes and times.
public enum VolumeSeeder {
    /// The scratch directory a seeding works in, under the store's `tmp/`. Make it with the store's content lock
    /// held shared (`ImageStore.withContentHeld`), so no collection sees it before its lock is taken.
    public static func scratchSpace(root: String) throws(EstibaError) -> ScratchSpace {
        let layout = StoreLayout(root: root)
        try? Files.makeDirectory(layout.tmp, permissions: 0o700)
        return try ScratchSpace(in: layout.tmp, prefix: "volume")
    }

    /// `lowers`: the image's layer directories, top first; `path`: where the volume is mounted; `root`: the store;
    /// `scratch`: from `scratchSpace(root:)`.
    public static func seed(volume: String, image lowers: [String], path: String, root: String, scratch: ScratchSpace) throws(EstibaError) {
        let layout = StoreLayout(root: root)
        // The bottom layer of a read-only overlay must be there even for an image without layers.
        let empty = layout.buildCache + "/empty"
        try? Files.makeDirectory(layout.buildCache, permissions: 0o700)
        try? Files.makeDirectory(empty)
        defer { scratch.unmountAll() }
        let view = try scratch.mount(OverlayMount(lowers: lowers + [empty]), on: "image")
        let image: RootedDirectory
        do { image = try RootedDirectory(path: view, resolution: .inRoot) } catch {
            throw EstibaError.runtime(cannot: "open the image's files", error, stage: "volume")
        }
        // The path resolves inside the image (its links included); nothing to copy unless it is a directory there.
        guard let source = try? image.open(path, .directory), let status = try? source.status() else { return }
        let target: FileDescriptor
        do { target = try FileDescriptor.open(volume, [.directory, .noFollow]) } catch {
            throw EstibaError.runtime(cannot: "open the volume \(volume)", error, stage: "volume")
        }
        try TreeCopy.contents(of: source, into: target)
        // The volume's root takes the directory's owner and mode, as Docker does.
        try? target.setOwner(userID: status.userID, groupID: status.groupID)
        try? target.setPermissions(status.permissions)
    }
}
