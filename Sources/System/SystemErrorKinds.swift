import Glibc

/// More questions a caller asks of a failure, beside `isNotFound`, `alreadyExists` and `isEscape`.
extension SystemError {
    /// A component of the path is not a directory (ENOTDIR).
    public var isNotDirectory: Bool { code == ENOTDIR }
    /// A directory still has entries (ENOTEMPTY), as when renaming over one.
    public var isNotEmpty: Bool { code == ENOTEMPTY }
}
