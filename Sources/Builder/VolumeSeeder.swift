import Glibc
import ImageStore

/// Fills a new volume with what the image has at the volume's path (Docker copies an image's files into a new
/// volume mounted over them), keeping modes, owners and times.
public enum VolumeSeeder {
    /// `lowers`: the image's snapshot directories, top first; `path`: where the volume is mounted.
    public static func seed(volume: String, image lowers: [String], path: String, root: String) throws(BuildError) {
        let tmp = root + "/tmp"
        let empty = StoreLayout(root: root).buildCache + "/empty"
        mkdir(tmp, 0o700)
        mkdir(StoreLayout(root: root).buildCache, 0o700)
        mkdir(empty, 0o755)
        let ws = try StepWorkspace(tmp: tmp, lowers: [], empty: empty)
        defer { ws.unmountAll() }
        let mounted = try ws.mountReadOnly(lowers, empty: empty)
        let tree = try SourceTree(root: mounted, ignore: nil, name: "the image", realOwners: true)
        var rel = path
        while rel.hasPrefix("/") { rel.removeFirst() }
        guard let resolved = tree.resolve(rel), let st = tree.lstat(resolved), (st.st_mode & S_IFMT) == S_IFDIR else { return }
        let dfd = open(volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dfd >= 0 else { throw BuildError(.io, "Cannot open the volume \(volume): \(String(cString: strerror(errno))).") }
        defer { close(dfd) }
        var copier = TreeCopier(source: tree, attributes: CopyAttributes(preserveOwners: true))
        try copier.copyContents(of: resolved, into: dfd)
        // The volume's root takes the directory's owner and mode, as Docker does.
        fchown(dfd, st.st_uid, st.st_gid)
        fchmod(dfd, st.st_mode & 0o7777)
    }
}
