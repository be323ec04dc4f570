import System

/// The store's limit on directory nesting, and descriptor-based file helpers for modules that still pass raw
/// descriptor numbers (each is System's call under another name; none follows a symbolic link).
public enum FileTree {
    /// The deepest directory nesting Estiba stores or walks: each level of a recursive walk costs stack, so a
    /// deeper tree (from a hostile archive or a container) is refused rather than overflowing it.
    public static let maxDepth = 1000

    /// The names in an open directory (without `.` and `..`), sorted by their bytes; none when it cannot be listed.
    public static func names(in dirfd: Int32) -> [String] { (try? FileDescriptor(borrowing: dirfd).names()) ?? [] }

    /// `rm -rf path`, best effort.
    public static func remove(_ path: String) { try? Files.removeTree(path) }

    /// Copies `size` bytes from `src` to `dst`: copy_file_range where the kernel can, read/write otherwise.
    public static func copyData(from src: Int32, to dst: Int32, size: Int, name: String) throws(StoreError) {
        do { try FileDescriptor(borrowing: src).copyData(to: FileDescriptor(borrowing: dst), count: Int64(size)) } catch {
            throw StoreError.io("Cannot \(error.operation)", name, errno: error.code)
        }
    }
}
