import CSys
import Glibc

/// A directory opened by descriptor; every operation below it resolves paths component by component with
/// O_NOFOLLOW, so nothing can reach outside it through `..` or symbolic links.
final class RootedDirectory {
    let fd: Int32
    let path: String

    init(path: String) throws(StoreError) {
        let fd = csys_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard fd >= 0 else { throw StoreError.io("Cannot open directory", path, errno: errno) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens the directory `dir` (creating missing components with mode 0755 when `create`). A component that is
    /// a symlink or not a directory is refused. The caller closes the returned descriptor.
    func openDirectory(_ dir: EntryPath, create: Bool, entry: String) throws(StoreError) -> Int32 {
        var current = dup(fd)
        guard current >= 0 else { throw StoreError.io("Cannot duplicate descriptor of", path, errno: errno) }
        for name in dir.components {
            var next = csys_openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            if next < 0, errno == ENOENT, create {
                if mkdirat(current, name, 0o755) != 0, errno != EEXIST {
                    let e = errno
                    close(current)
                    throw StoreError.io("Cannot create directory for entry \(entry) at", path + "/" + dir.description, errno: e)
                }
                next = csys_openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            }
            if next < 0 {
                let e = errno
                close(current)
                if e == ELOOP || e == ENOTDIR {
                    throw StoreError.unsafe(entry, "its parent \"\(dir)\" is a symbolic link or not a directory")
                }
                if e == ENOENT { throw StoreError(.notFound, "Entry \(entry): \(dir) does not exist.", context: ["entry": entry]) }
                throw StoreError.io("Cannot open \(name) for entry \(entry) in", path, errno: e)
            }
            close(current)
            current = next
        }
        return current
    }

    /// lstat of `name` in directory `dirfd`; nil when it does not exist.
    static func lstatAt(_ dirfd: Int32, _ name: String) -> stat? {
        var st = stat()
        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    /// Removes `name` in `dirfd`, recursively for directories; missing is fine.
    static func removeTree(_ dirfd: Int32, _ name: String) throws(StoreError) {
        guard let st = lstatAt(dirfd, name) else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            if unlinkat(dirfd, name, 0) != 0, errno != ENOENT { throw StoreError.io("Cannot remove", name, errno: errno) }
            return
        }
        // Iterative, holding one descriptor: down into the first subdirectory until one is empty, then up through
        // ".." to remove it. A deep tree exhausts neither the stack nor the descriptors.
        var current = csys_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
        guard current >= 0 else { throw StoreError.io("Cannot open", name, errno: errno) }
        defer { close(current) }
        var below: [String] = []
        while true {
            var subdirectory: String?
            for child in listNames(current) {
                guard let cst = lstatAt(current, child) else { continue }
                if (cst.st_mode & S_IFMT) == S_IFDIR {
                    subdirectory = child
                    break
                }
                if unlinkat(current, child, 0) != 0, errno != ENOENT { throw StoreError.io("Cannot remove", child, errno: errno) }
            }
            if let child = subdirectory {
                let sub = csys_openat(current, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
                guard sub >= 0 else { throw StoreError.io("Cannot open", child, errno: errno) }
                close(current)
                current = sub
                below.append(child)
                continue
            }
            guard let emptied = below.popLast() else { break }
            let up = csys_openat(current, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
            guard up >= 0 else { throw StoreError.io("Cannot open the parent of", emptied, errno: errno) }
            close(current)
            current = up
            if unlinkat(current, emptied, AT_REMOVEDIR) != 0, errno != ENOENT {
                throw StoreError.io("Cannot remove directory", emptied, errno: errno)
            }
        }
        if unlinkat(dirfd, name, AT_REMOVEDIR) != 0, errno != ENOENT {
            throw StoreError.io("Cannot remove directory", name, errno: errno)
        }
    }

    /// The names in directory `dirfd` (without `.` and `..`), sorted by their bytes.
    static func listNames(_ dirfd: Int32) -> [String] {
        let dupfd = dup(dirfd)
        guard dupfd >= 0, let dir = fdopendir(dupfd) else { return [] }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [[UInt8]] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names.map { String(decoding: $0, as: UTF8.self) }
    }
}
