import CSys
import Dockerfile
import Glibc
import ImageStore

/// Writes into a container root being built (a mounted overlay). Every path resolves inside the root, as if it
/// were `/` (symbolic links included), so nothing a Dockerfile or an image contains can write outside it.
final class RootFS {
    let path: String
    let fd: Int32

    init(path: String) throws(BuildError) {
        self.path = path
        fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BuildError(.io, "Cannot open the build root \(path): \(String(cString: strerror(errno))).") }
    }

    deinit { close(fd) }

    static func relative(_ absolute: String) -> String {
        var p = PathClean.clean("/" + absolute)
        p.removeFirst()
        return p.isEmpty ? "." : p
    }

    /// Opens a directory, following links inside the root (-1 with errno when missing or not a directory).
    func openDirectory(_ absolute: String) -> Int32 {
        csys_open_in_root(fd, Self.relative(absolute), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
    }

    /// `stat` following links inside the root.
    func stat(_ absolute: String) -> Glibc.stat? {
        let f = csys_open_in_root(fd, Self.relative(absolute), csys_o_path | O_CLOEXEC, 0)
        guard f >= 0 else { return nil }
        defer { close(f) }
        var st = Glibc.stat()
        return fstat(f, &st) == 0 ? st : nil
    }

    /// `mkdir -p` inside the root; new directories get mode 0755 and `owner`. Returns an open descriptor.
    func makeDirectories(_ absolute: String, owner: (uid: UInt32, gid: UInt32)) throws(BuildError) -> Int32 {
        let existing = openDirectory(absolute)
        if existing >= 0 { return existing }
        guard errno == ENOENT else {
            throw BuildError(.io, "Cannot create directory \(absolute): \(String(cString: strerror(errno))).")
        }
        let clean = PathClean.clean("/" + absolute)
        let parent = try makeDirectories(PathClean.dir(clean), owner: owner)
        defer { close(parent) }
        let name = String(clean.split(separator: "/").last ?? "")
        if mkdirat(parent, name, 0o755) == 0 {
            fchownat(parent, name, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW)
            fchmodat(parent, name, 0o755, 0)
        } else if errno != EEXIST {
            throw BuildError(.io, "Cannot create directory \(clean): \(String(cString: strerror(errno))).")
        }
        let fd = openDirectory(clean)
        guard fd >= 0 else {
            throw BuildError(.io, "Cannot create directory \(clean): it exists and is not a directory.")
        }
        return fd
    }
}

/// How copied entries are owned and moded.
struct CopyAttributes {
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    /// `--chmod`: replaces the permission bits of every copied entry.
    var mode: mode_t?
    /// Keep each entry's own owner instead of `uid`/`gid` (seeding a volume from an image).
    var preserveOwners = false

    func owner(_ st: stat) -> (UInt32, UInt32) { preserveOwners ? (st.st_uid, st.st_gid) : (uid, gid) }
}

/// Copies entries of a source tree into a directory of the root, keeping modes (unless `--chmod`) and mtimes,
/// owned by `attributes` (Docker's COPY semantics).
struct TreeCopier {
    let source: SourceTree
    let attributes: CopyAttributes
    /// Bytes of file content copied.
    var bytes: Int64 = 0

    init(source: SourceTree, attributes: CopyAttributes) {
        self.source = source
        self.attributes = attributes
    }

    /// Copies `rel` (of any type) to `name` inside the directory `dirfd`.
    mutating func copy(_ rel: String, st: stat, into dirfd: Int32, as name: String) throws(BuildError) {
        let kind = st.st_mode & S_IFMT
        var existing = Glibc.stat()
        let exists = fstatat(dirfd, name, &existing, AT_SYMLINK_NOFOLLOW) == 0
        if exists, !(kind == S_IFDIR && (existing.st_mode & S_IFMT) == S_IFDIR) {
            if (existing.st_mode & S_IFMT) == S_IFDIR {
                throw BuildError(.invalidArgument, "Cannot copy \(rel) over the directory \(name): remove it first, or copy into it with a trailing /.")
            }
            unlinkat(dirfd, name, 0)
        }
        let perm = attributes.mode ?? (st.st_mode & 0o7777)
        switch kind {
        case S_IFDIR:
            if !(exists && (existing.st_mode & S_IFMT) == S_IFDIR), mkdirat(dirfd, name, 0o700) != 0 {
                throw failure("create directory", name)
            }
            let child = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { throw failure("open directory", name) }
            defer { close(child) }
            try copyContents(of: rel, into: child)
            fchown(child, attributes.owner(st).0, attributes.owner(st).1)
            fchmod(child, perm)
            var times = [st.st_atim, st.st_mtim]
            futimens(child, &times)
        case S_IFREG:
            let src = source.open(rel, flags: O_RDONLY | O_NOFOLLOW)
            guard src >= 0 else { throw BuildError(.io, "Cannot read \(rel) in \(source.name): \(String(cString: strerror(errno))).") }
            defer { close(src) }
            let dst = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard dst >= 0 else { throw failure("create", name) }
            defer { close(dst) }
            try copyBytes(from: src, to: dst, size: Int(st.st_size), name: rel)
            bytes += Int64(st.st_size)
            fchown(dst, attributes.owner(st).0, attributes.owner(st).1)
            fchmod(dst, perm)
            var times = [st.st_atim, st.st_mtim]
            futimens(dst, &times)
        case S_IFLNK:
            let target = source.readLink(rel)
            guard symlinkat(target, dirfd, name) == 0 else { throw failure("create link", name) }
            fchownat(dirfd, name, attributes.owner(st).0, attributes.owner(st).1, AT_SYMLINK_NOFOLLOW)
            var times = [st.st_atim, st.st_mtim]
            utimensat(dirfd, name, &times, AT_SYMLINK_NOFOLLOW)
        case S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK:
            guard mknodat(dirfd, name, kind | perm, st.st_rdev) == 0 else { throw failure("create node", name) }
            fchownat(dirfd, name, attributes.owner(st).0, attributes.owner(st).1, AT_SYMLINK_NOFOLLOW)
        default:
            break
        }
    }

    /// Copies the children of the source directory `rel` into `dirfd`.
    mutating func copyContents(of rel: String, into dirfd: Int32) throws(BuildError) {
        for name in source.list(rel) {
            let child = rel.isEmpty ? name : rel + "/" + name
            guard let cst = source.lstat(child) else { continue }
            if source.excluded(child) {
                // An ignored directory may still hold re-included entries (`!` patterns).
                guard (cst.st_mode & S_IFMT) == S_IFDIR, source.ignore?.hasExclusions ?? false else { continue }
                var any = false
                try source.walk(child, includeSelf: false) { (_, _) throws(BuildError) in any = true }
                if !any { continue }
            }
            try copy(child, st: cst, into: dirfd, as: name)
        }
    }

    private func copyBytes(from src: Int32, to dst: Int32, size: Int, name: String) throws(BuildError) {
        do { try FileTree.copyData(from: src, to: dst, size: size, name: name) } catch {
            throw BuildError(.io, "Cannot copy \(name): \(error.message)")
        }
    }

    private func failure(_ what: String, _ name: String) -> BuildError {
        BuildError(.io, "Cannot \(what) \(name) in the image: \(String(cString: strerror(errno))).")
    }
}
