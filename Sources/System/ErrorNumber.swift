import Glibc

/// Errno values by name, and their text, for code outside System that meets a raw code: a C library's `-errno`
/// result, or the text a child process reported.
public enum ErrorNumber {
    /// EPERM: the operation is not permitted.
    public static let notPermitted: Int32 = EPERM
    /// ENOENT: no such file or directory.
    public static let notFound: Int32 = ENOENT
    /// ENOTDIR: a component of the path is not a directory.
    public static let notDirectory: Int32 = ENOTDIR
    /// EEXIST: the name is taken.
    public static let alreadyExists: Int32 = EEXIST
    /// EBUSY: still in use (a directory with processes in it, a mount point).
    public static let busy: Int32 = EBUSY
    /// ENOSPC: no space left on the device.
    public static let noSpace: Int32 = ENOSPC
    /// EIO: an input/output error (also: a report that never came).
    public static let inputOutput: Int32 = EIO
    /// EDQUOT: the disk quota is exceeded.
    public static let quotaExceeded: Int32 = EDQUOT

    /// The system's description of an errno value ("No such file or directory").
    public static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
}
