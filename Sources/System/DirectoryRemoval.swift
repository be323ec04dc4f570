import Glibc

extension Files {
    /// Removes the empty directory `path` (EBUSY while the kernel still uses it, ENOTEMPTY when it has entries).
    public static func removeDirectory(_ path: String) throws(EstibaError) {
        guard rmdir(path) == 0 else { throw .last("remove directory", path: path) }
    }
}
