import Glibc

/// Owners, permissions and times of an open file, or of an entry of a directory opened as a descriptor.
extension FileDescriptor {
    public func setOwner(userID: UInt32, groupID: UInt32) throws(EstibaError) {
        guard fchown(rawValue, userID, groupID) == 0 else { throw .last("change the owner of", path: path) }
    }

    public func setPermissions(_ permissions: UInt32) throws(EstibaError) {
        guard fchmod(rawValue, permissions & 0o7777) == 0 else { throw .last("change the permissions of", path: path) }
    }

    public func setTimes(accessed: FileTime, modified: FileTime) throws(EstibaError) {
        var times = [accessed.timespec, modified.timespec]
        guard futimens(rawValue, &times) == 0 else { throw .last("set the times of", path: path) }
    }

    /// Sets the owner of `name`; of a symbolic link itself unless `followLinks`.
    public func setOwner(of name: String, userID: UInt32, groupID: UInt32, followLinks: Bool = false) throws(EstibaError) {
        guard fchownat(rawValue, name, userID, groupID, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .last("change the owner of", path: entryPath(name))
        }
    }

    /// Sets the permissions of `name` (Linux cannot set a symbolic link's own).
    public func setPermissions(of name: String, _ permissions: UInt32) throws(EstibaError) {
        guard fchmodat(rawValue, name, permissions & 0o7777, 0) == 0 else {
            throw .last("change the permissions of", path: entryPath(name))
        }
    }

    /// Sets the times of `name`; of a symbolic link itself unless `followLinks`.
    public func setTimes(of name: String, accessed: FileTime, modified: FileTime, followLinks: Bool = false) throws(EstibaError) {
        var times = [accessed.timespec, modified.timespec]
        guard utimensat(rawValue, name, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .last("set the times of", path: entryPath(name))
        }
    }
}
