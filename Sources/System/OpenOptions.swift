import CSys
import Glibc

/// How `open` opens a file. Without `writeOnly` or `readWrite` it opens for reading; every descriptor is
/// close-on-exec (a child gets only what it is handed explicitly).
public struct OpenOptions: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let readOnly: OpenOptions = []
    public static let writeOnly = OpenOptions(rawValue: O_WRONLY)
    public static let readWrite = OpenOptions(rawValue: O_RDWR)
    /// Create the file when it is missing (with the permissions given to `open`).
    public static let create = OpenOptions(rawValue: O_CREAT)
    /// With `create`: fail with EEXIST when the name exists (a symbolic link included).
    public static let exclusive = OpenOptions(rawValue: O_EXCL)
    public static let truncate = OpenOptions(rawValue: O_TRUNC)
    public static let append = OpenOptions(rawValue: O_APPEND)
    /// Fail with ENOTDIR unless it is a directory.
    public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    /// Fail with ELOOP when the last component is a symbolic link.
    public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
    /// Opening does not wait (a FIFO without a writer), and neither do reads and writes.
    public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
    /// A handle to the entry itself, for status, `*at` calls and its path; it cannot be read or written.
    public static let pathOnly = OpenOptions(rawValue: csys_o_path)

    /// The flags `open(2)` takes.
    var flags: Int32 { rawValue | O_CLOEXEC }
}
