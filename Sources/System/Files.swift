import Glibc

/// Operations on paths (relative paths start at the working directory). For work below a directory that must
/// not be escaped, open it as a `FileDescriptor` or a `RootedDirectory` instead.
public enum Files {
    /// Whether `path` names something (following symbolic links).
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The status of `path`; of a final symbolic link itself unless `followLinks`.
    public static func status(_ path: String, followLinks: Bool = true) throws(EstibaError) -> FileStatus {
        var st = stat()
        let rc = followLinks ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else { throw .last("inspect", path: path) }
        return FileStatus(st)
    }

    /// Creates the directory `path` (EEXIST when the name is taken).
    public static func makeDirectory(_ path: String, permissions: UInt32 = 0o755) throws(EstibaError) {
        guard mkdir(path, permissions) == 0 else { throw .last("create directory", path: path) }
    }

    /// Creates the directory `path` unless a directory is already there.
    public static func ensureDirectory(_ path: String, permissions: UInt32 = 0o755) throws(EstibaError) {
        if mkdir(path, permissions) == 0 { return }
        let e = EstibaError.last("create directory", path: path)
        guard e.isAlreadyExisting, (try? status(path))?.kind == .directory else { throw e }
    }

    /// Creates `path` and every missing directory above it (`mkdir -p`); new ones get `permissions`.
    public static func makeDirectories(_ path: String, permissions: UInt32 = 0o755) throws(EstibaError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            try ensureDirectory(prefix, permissions: permissions)
        }
    }

    /// Removes the entry `path` (not a directory).
    public static func remove(_ path: String) throws(EstibaError) {
        guard unlink(path) == 0 else { throw .last("remove", path: path) }
    }

    /// Removes `path` and everything below it without following symbolic links (`rm -rf`); a missing path is
    /// fine. `/` and paths ending in `.` or `..` are refused.
    public static func removeTree(_ path: String) throws(EstibaError) {
        let (parent, name) = try split(path, operation: "remove")
        let directory = try FileDescriptor.open(parent, [.directory])
        try directory.removeTree(name)
    }

    /// Renames `from` to `to`, replacing what is there.
    public static func rename(_ from: String, to: String) throws(EstibaError) {
        guard Glibc.rename(from, to) == 0 else { throw .last("rename \(from) to", path: to) }
    }

    /// The file's bytes, at most `limit` of them (read `limit + 1` to tell a file that is too long).
    public static func read(_ path: String, upTo limit: Int = .max) throws(EstibaError) -> [UInt8] {
        try FileDescriptor.open(path).readAll(upTo: limit)
    }

    /// Writes `bytes` to `path`, creating or truncating it (not atomic: see `AtomicFile` for that).
    public static func write(_ bytes: [UInt8], to path: String, permissions: UInt32 = 0o644) throws(EstibaError) {
        try FileDescriptor.open(path, [.writeOnly, .create, .truncate], permissions: permissions).writeAll(bytes)
    }

    /// The target of the symbolic link `path`.
    public static func readLink(_ path: String) throws(EstibaError) -> String {
        try LinkText.read("read the link", path) { buffer, size in readlink(path, buffer, size) }
    }

    /// Creates the symbolic link `path` pointing at `target`.
    public static func makeSymbolicLink(_ path: String, to target: String) throws(EstibaError) {
        guard symlink(target, path) == 0 else { throw .last("create the link", path: path) }
    }

    /// Sets the permission bits of `path` (following symbolic links).
    public static func setPermissions(_ path: String, _ permissions: UInt32) throws(EstibaError) {
        guard chmod(path, permissions & 0o7777) == 0 else { throw .last("change the permissions of", path: path) }
    }

    /// Sets the times of `path`; of a final symbolic link itself unless `followLinks`.
    public static func setTimes(_ path: String, accessed: FileTime, modified: FileTime, followLinks: Bool = true) throws(EstibaError) {
        var times = [accessed.timespec, modified.timespec]
        guard utimensat(AT_FDCWD, path, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .last("set the times of", path: path)
        }
    }

    /// The absolute path `path` names, with every symbolic link, `.` and `..` resolved.
    public static func realPath(_ path: String) throws(EstibaError) -> String {
        guard let resolved = realpath(path, nil) else { throw .last("resolve", path: path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A path's directory and last component; `/`, an empty path and a last component `.` or `..` are refused.
    static func split(_ path: String, operation: String) throws(EstibaError) -> (parent: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        let slash = trimmed.lastIndex(of: "/")
        let name = String(slash.map { trimmed[trimmed.index(after: $0)...] } ?? trimmed)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw EstibaError.system(EINVAL, operation, path: path, detail: "give a path that ends in a name")
        }
        let parent = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        return (parent, name)
    }
}
