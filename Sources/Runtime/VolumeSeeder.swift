import CSys
import Glibc
import ImageStore

/// Fills a new volume with what the image has at the volume's path (Docker copies an image's files into a new
/// volume mounted over them), keeping types, owners, modes and times.
public enum VolumeSeeder {
    /// `lowers`: the image's layer directories, top first; `path`: where the volume is mounted; `root`: the store.
    public static func seed(volume: String, image lowers: [String], path: String, root: String) throws(RuntimeError) {
        let tmp = root + "/tmp"
        let layout = StoreLayout(root: root)
        // The bottom layer of a read-only overlay must be there even for an image without layers.
        let empty = layout.buildCache + "/empty"
        mkdir(tmp, 0o700)
        mkdir(layout.buildCache, 0o700)
        mkdir(empty, 0o755)
        let scratch = try ScratchSpace(in: tmp, prefix: "volume")
        defer { scratch.unmountAll() }
        let view = try scratch.mount(OverlayMount(lowers: lowers + [empty]), on: "image")
        let viewFD = open(view, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard viewFD >= 0 else { throw RuntimeError("Cannot open the image's files: \(String(cString: strerror(errno))).", stage: "volume") }
        defer { close(viewFD) }
        // The path resolves inside the image (its links included); nothing to copy unless it is a directory there.
        let relative = String(path.drop { $0 == "/" })
        let source = csys_open_in_root(viewFD, relative.isEmpty ? "." : relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard source >= 0 else { return }
        defer { close(source) }
        var st = stat()
        guard fstat(source, &st) == 0 else { return }
        let target = open(volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard target >= 0 else { throw RuntimeError("Cannot open the volume \(volume): \(String(cString: strerror(errno))).", stage: "volume") }
        defer { close(target) }
        try TreeCopy.contents(of: source, into: target)
        // The volume's root takes the directory's owner and mode, as Docker does.
        fchown(target, st.st_uid, st.st_gid)
        fchmod(target, st.st_mode & 0o7777)
    }
}
