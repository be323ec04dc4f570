import Glibc
import ImageStore

/// Copies a directory's contents into another, entry by entry, keeping each entry's type, owner, mode and times.
/// Nothing is followed: links are copied as links, and the walk descends only into real directories.
struct TreeCopy {
    /// Copies the children of the open directory `source` into the open directory `target`.
    static func contents(of source: Int32, into target: Int32, depth: Int = 0) throws(RuntimeError) {
        guard depth < FileTree.maxDepth else {
            throw RuntimeError("The image's tree is nested more than \(FileTree.maxDepth) directories deep; it cannot be copied.", stage: "copy")
        }
        for name in FileTree.names(in: source) {
            var st = stat()
            guard fstatat(source, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            try entry(name, st, from: source, into: target, depth: depth)
        }
    }

    private static func entry(_ name: String, _ st: stat, from source: Int32, into target: Int32, depth: Int) throws(RuntimeError) {
        let kind = st.st_mode & S_IFMT
        let permissions = st.st_mode & 0o7777
        switch kind {
        case S_IFDIR:
            guard mkdirat(target, name, 0o700) == 0 || errno == EEXIST else { throw failure("create the directory", name) }
            let from = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard from >= 0 else { throw failure("open the directory", name) }
            defer { close(from) }
            let to = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard to >= 0 else { throw failure("open the new directory", name) }
            defer { close(to) }
            try contents(of: from, into: to, depth: depth + 1)
            finish(to, st)
        case S_IFREG:
            let from = openat(source, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard from >= 0 else { throw failure("read", name) }
            defer { close(from) }
            let to = openat(target, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard to >= 0 else { throw failure("create", name) }
            defer { close(to) }
            do { try FileTree.copyData(from: from, to: to, size: Int(st.st_size), name: name) } catch {
                throw RuntimeError("Cannot copy \(name): \(error.message)", stage: "copy")
            }
            finish(to, st)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(source, name, &buffer, buffer.count - 1)
            guard n >= 0 else { throw failure("read the link", name) }
            buffer[n] = 0
            guard symlinkat(buffer, target, name) == 0 else { throw failure("create the link", name) }
            fchownat(target, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
            var times = [st.st_atim, st.st_mtim]
            utimensat(target, name, &times, AT_SYMLINK_NOFOLLOW)
        case S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK:
            guard mknodat(target, name, kind | permissions, st.st_rdev) == 0 else { throw failure("create the node", name) }
            fchownat(target, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
        default:
            break
        }
    }

    /// Gives an open copy its source's owner, mode and times (the owner first: chown clears set-id bits).
    private static func finish(_ fd: Int32, _ st: stat) {
        fchown(fd, st.st_uid, st.st_gid)
        fchmod(fd, st.st_mode & 0o7777)
        var times = [st.st_atim, st.st_mtim]
        futimens(fd, &times)
    }

    private static func failure(_ what: String, _ name: String) -> RuntimeError {
        RuntimeError("Cannot \(what) \(name) while copying: \(String(cString: strerror(errno))).", stage: "copy")
    }
}
