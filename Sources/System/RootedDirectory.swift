import CSys
import Glibc

/// A directory that paths below it cannot escape: every open, status and creation resolves inside it.
/// How symbolic links and `..` are treated is the `Resolution`.
public final class RootedDirectory: Sendable {
    public enum Resolution: Sendable {
        /// Every component must be a real directory entry: a symbolic link or `..` anywhere in a path is refused
        /// (ELOOP, EXDEV). For trees built from untrusted archives, where nothing should be followed.
        case refuseLinks
        /// Symbolic links and `..` resolve as if the root were `/` (a container's root): with openat2's
        /// RESOLVE_IN_ROOT, or, where the kernel lacks it, the same resolution done one component at a time.
        case inRoot
    }

    public let descriptor: FileDescriptor
    public let resolution: Resolution
    /// With `.inRoot`: whether openat2 is tried first (false: always the component walk).
    let usesKernelResolution: Bool

    /// Opens the directory at `path` as a root.
    public convenience init(path: String, resolution: Resolution) throws(EstibaError) {
        try self.init(descriptor: FileDescriptor.open(path, [.directory]), resolution: resolution)
    }

    public convenience init(descriptor: FileDescriptor, resolution: Resolution) {
        self.init(descriptor: descriptor, resolution: resolution, usesKernelResolution: true)
    }

    init(descriptor: FileDescriptor, resolution: Resolution, usesKernelResolution: Bool) {
        self.descriptor = descriptor
        self.resolution = resolution
        self.usesKernelResolution = usesKernelResolution
    }

    /// The root's path, for messages.
    public var path: String { descriptor.path ?? "" }

    /// Opens `path` below the root (a leading `/` means the root).
    public func open(_ path: String, _ options: OpenOptions = .readOnly, permissions: UInt32 = 0o644) throws(EstibaError) -> FileDescriptor {
        if resolution == .inRoot, usesKernelResolution, let fd = try KernelInRoot.open(path, options, permissions: permissions, in: self) {
            return fd
        }
        let createsExclusively = options.contains(.create) && options.contains(.exclusive)
        let (parent, name) = try parent(of: path, followLast: !options.contains(.noFollow) && !createsExclusively)
        do { return try parent.open(name, options.union(.noFollow), permissions: permissions) } catch {
            throw failure(error, path)
        }
    }

    /// The status of `path`; of a final symbolic link itself unless `followLinks` (which `.refuseLinks` refuses).
    public func status(_ path: String, followLinks: Bool = false) throws(EstibaError) -> FileStatus {
        if followLinks, resolution == .inRoot { return try open(path, .pathOnly).status() }
        let (parent, name) = try parent(of: path, followLast: false)
        let st: FileStatus
        do { st = try parent.status(of: name) } catch { throw failure(error, path) }
        if followLinks, st.kind == .symbolicLink { throw refusal(ELOOP, path, "it is a symbolic link") }
        return st
    }

    /// Opens the directory at `path`; with `create`, missing directories are made first, with exactly
    /// `permissions` and, when given, `owner`. Each new directory is made and opened from its parent's descriptor,
    /// without following a link, and its mode and owner are set on that descriptor.
    public func openDirectory(
        _ path: String, create: Bool = false, permissions: UInt32 = 0o755, owner: (userID: UInt32, groupID: UInt32)? = nil
    ) throws(EstibaError) -> FileDescriptor {
        do { return try open(path, .directory) } catch {
            guard create, error.errorNumber == ENOENT else { throw error }
        }
        let (parentPath, name) = Self.lastComponent(path)
        guard name != ".", name != ".." else { throw refusal(ENOENT, path, nil) }
        let parent = try openDirectory(parentPath, create: true, permissions: permissions, owner: owner)
        var made = true
        do { try parent.makeDirectory(name, permissions: permissions) } catch {
            // Made meanwhile by someone else, or a name that is not a directory (found out below).
            guard error.isAlreadyExisting else { throw failure(error, path) }
            made = false
        }
        let directory: FileDescriptor
        do { directory = try parent.open(name, [.directory, .noFollow]) } catch {
            let notDirectory = error.errorNumber == ENOTDIR || error.errorNumber == ELOOP
            throw refusal(error.errorNumber ?? EIO, path, notDirectory ? "it exists and is not a directory" : nil)
        }
        if made {
            // Exactly these permissions, whatever the umask.
            try? directory.setPermissions(permissions)
            if let owner { try? directory.setOwner(userID: owner.userID, groupID: owner.groupID) }
        }
        return directory
    }

    /// Creates the directory `path` (its parent must exist).
    public func makeDirectory(_ path: String, permissions: UInt32 = 0o755) throws(EstibaError) {
        let (parent, name) = try parent(of: path, followLast: false)
        do { try parent.makeDirectory(name, permissions: permissions) } catch { throw failure(error, path) }
    }

    /// Creates the file `path` for writing, with exactly `permissions`; an existing name fails with EEXIST
    /// when `exclusive`, or is truncated.
    public func createFile(_ path: String, permissions: UInt32 = 0o644, exclusive: Bool = true) throws(EstibaError) -> FileDescriptor {
        let fd = try open(path, exclusive ? [.writeOnly, .create, .exclusive] : [.writeOnly, .create, .truncate], permissions: permissions)
        try fd.setPermissions(permissions)
        return fd
    }

    /// The target of the symbolic link `path` (the directories above it resolved as the policy says).
    public func readLink(_ path: String) throws(EstibaError) -> String {
        let (parent, name) = try parent(of: path, followLast: false)
        do { return try parent.readLink(name) } catch { throw failure(error, path) }
    }

    /// Removes `path` and everything below it (a final symbolic link is removed, not followed).
    public func removeTree(_ path: String) throws(EstibaError) {
        let (parent, name) = try parent(of: path, followLast: false)
        guard name != "." else { throw refusal(EINVAL, path, "the root itself cannot be removed") }
        try parent.removeTree(name)
    }

    /// Where `path` leads once its links are followed, relative to the root ("" for the root itself).
    public func resolvedPath(of path: String) throws(EstibaError) -> String {
        let target = try open(path, .pathOnly).resolvedPath()
        let base = try descriptor.resolvedPath()
        if target == base { return "" }
        let prefix = base == "/" ? "/" : base + "/"
        guard target.hasPrefix(prefix) else { throw refusal(EXDEV, path, "it leads outside \(self.path)") }
        return String(target.dropFirst(prefix.count))
    }

    /// The directory holding `path`'s last component, and that component ("." when the path names a
    /// directory through `.`, `..` or nothing).
    public func parent(of path: String, followLast: Bool) throws(EstibaError) -> (directory: FileDescriptor, name: String) {
        switch resolution {
        case .refuseLinks:
            return try ComponentWalk.parent(of: path, in: self)
        case .inRoot:
            if usesKernelResolution, !followLast {
                let (parentPath, name) = Self.lastComponent(path)
                let full = name == "." || name == ".."
                if let fd = try KernelInRoot.open(full ? path : parentPath, [.pathOnly, .directory], permissions: 0, in: self) {
                    return (fd, full ? "." : name)
                }
            }
            return try InRootWalk.parent(of: path, followLast: followLast, in: self)
        }
    }

    /// A path's components, empty ones dropped (a leading `/` means the root).
    static func components(_ path: String) -> [String] { path.split(separator: "/").map(String.init) }

    /// The path without its last component, and that component ("." for an empty path).
    static func lastComponent(_ path: String) -> (parent: String, name: String) {
        var parts = components(path)
        let name = parts.popLast() ?? "."
        return (parts.joined(separator: "/"), name)
    }

    /// How `path` is named in messages.
    func shown(_ path: String) -> String {
        let relative = Self.components(path).joined(separator: "/")
        return relative.isEmpty ? self.path : self.path + "/" + relative
    }

    func refusal(_ code: Int32, _ path: String, _ detail: String?) -> EstibaError {
        EstibaError.system(code, "open", path: shown(path), detail: detail)
    }

    /// An error from an entry of the root, renamed after the whole path.
    func failure(_ error: EstibaError, _ path: String) -> EstibaError {
        error.retold(path: shown(path))
    }
}
