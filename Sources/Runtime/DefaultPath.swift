/// Docker's default command search path: what a container's PATH is when its image sets none, and where the
/// launcher looks a command up when the environment has no PATH.
public enum DefaultPath {
    public static let value = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    /// The `PATH=…` environment entry.
    public static let variable = "PATH=" + value
}
