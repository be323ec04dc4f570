import CSys
import Glibc
import Synchronization

/// `.refuseLinks`: each directory on the way is opened with O_NOFOLLOW; `..` is refused.
enum ComponentWalk {
    static func parent(of path: String, in root: RootedDirectory) throws(EstibaError) -> (directory: FileDescriptor, name: String) {
        let parts = RootedDirectory.components(path).filter { $0 != "." }
        if parts.contains("..") { throw root.refusal(EXDEV, path, "\"..\" would lead outside \(root.path)") }
        var current = root.descriptor
        for name in parts.dropLast() {
            do { current = try current.open(name, [.directory, .noFollow]) } catch {
                guard error.errorNumber == ELOOP || error.errorNumber == ENOTDIR else { throw root.failure(error, path) }
                if (try? current.status(of: name))?.kind == .symbolicLink {
                    throw root.refusal(ELOOP, path, "\(name) is a symbolic link")
                }
                throw root.refusal(ENOTDIR, path, "\(name) is not a directory")
            }
        }
        return (current, parts.last ?? ".")
    }
}

/// `.inRoot` without openat2: the kernel's RESOLVE_IN_ROOT done one component at a time. Each directory on the
/// way stays open, so `..` goes back to the directory it came from and never above the root; a symbolic link
/// is read and its target walked in its place (from the root when absolute), at most 40 per path.
enum InRootWalk {
    static let maximumLinks = 40

    static func parent(
        of path: String, followLast: Bool, in root: RootedDirectory
    ) throws(EstibaError) -> (directory: FileDescriptor, name: String) {
        var stack = [root.descriptor]
        var queue = Array(RootedDirectory.components(path).reversed())
        var links = 0
        while let name = queue.popLast() {
            if name == "." { continue }
            if name == ".." {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            let current = stack[stack.count - 1]
            let isLast = queue.isEmpty
            if isLast, !followLast { return (current, name) }
            let entry: FileDescriptor
            do { entry = try current.open(name, [.pathOnly, .noFollow]) } catch {
                if isLast, error.isNotFound { return (current, name) }
                throw root.failure(error, path)
            }
            let kind = try entry.status().kind
            if kind == .symbolicLink {
                links += 1
                guard links <= maximumLinks else { throw root.refusal(ELOOP, path, nil) }
                let target = try entry.readLink("")
                if target.hasPrefix("/") { stack.removeSubrange(1...) }
                queue.append(contentsOf: RootedDirectory.components(target).reversed())
                continue
            }
            if isLast { return (current, name) }
            guard kind == .directory else { throw root.refusal(ENOTDIR, path, nil) }
            stack.append(entry)
        }
        return (stack[stack.count - 1], ".")
    }
}

/// openat2 with RESOLVE_IN_ROOT, while the kernel has it.
enum KernelInRoot {
    /// Set once the kernel answered ENOSYS: every later call goes to the component walk at once.
    private static let missing = Atomic<Bool>(false)

    /// The opened file; nil when the kernel lacks openat2.
    static func open(_ path: String, _ options: OpenOptions, permissions: UInt32, in root: RootedDirectory) throws(EstibaError) -> FileDescriptor? {
        if missing.load(ordering: .relaxed) { return nil }
        let relative = RootedDirectory.components(path).joined(separator: "/")
        var attempts = 0
        while true {
            let fd = csys_open_in_root(root.descriptor.rawValue, relative.isEmpty ? "." : relative, options.flags, permissions)
            if fd >= 0 { return FileDescriptor(adopting: fd, path: root.shown(path)) }
            let e = errno
            if e == ENOSYS {
                missing.store(true, ordering: .relaxed)
                return nil
            }
            // EAGAIN: a rename or mount raced with the resolution; the kernel asks to try again.
            attempts += 1
            if e == EINTR || (e == EAGAIN && attempts < 16) { continue }
            throw EstibaError.system(e, "open", path: root.shown(path))
        }
    }
}
