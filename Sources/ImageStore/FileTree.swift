/// Limits on the directory trees Estiba stores and walks.
public enum FileTree {
    /// The deepest directory nesting Estiba stores or walks: each level of a recursive walk costs stack, so a
    /// deeper tree (from a hostile archive or a container) is refused rather than overflowing it.
    public static let maxDepth = 1000
}
