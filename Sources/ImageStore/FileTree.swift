import CSys
import Glibc

/// Descriptor-based file helpers the other modules share (none follows a symbolic link).
public enum FileTree {
    /// The deepest directory nesting Estiba stores or walks: each level of a recursive walk costs stack, so a
    /// deeper tree (from a hostile archive or a container) is refused rather than overflowing it.
    public static let maxDepth = 1000

    /// The names in an open directory (without `.` and `..`), sorted by their bytes.
    public static func names(in dirfd: Int32) -> [String] { RootedDirectory.listNames(dirfd) }

    /// `rm -rf path`, best effort.
    public static func remove(_ path: String) {
        let slash = path.lastIndex(of: "/")
        let parentPath = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let parent = open(parentPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        defer { close(parent) }
        try? RootedDirectory.removeTree(parent, name)
    }

    /// Copies `size` bytes from `src` to `dst`: copy_file_range where the kernel can, read/write otherwise.
    public static func copyData(from src: Int32, to dst: Int32, size: Int, name: String) throws(StoreError) {
        var left = size
        while left > 0 {
            let n = csys_copy_file_range(src, dst, left)
            if n > 0 {
                left -= Int(n)
                continue
            }
            if n < 0, errno == EINTR { continue }
            // Fall back to read/write (different file systems on old kernels, or special files).
            try FileSystem.forEachChunk(src, path: name) { chunk throws(StoreError) in try FileSystem.writeAll(dst, chunk, path: name) }
            return
        }
    }
}
