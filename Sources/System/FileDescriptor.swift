import CSys
import Glibc
import Synchronization

/// An open file descriptor. One that owns its descriptor closes it exactly once: at `close()`, or when the
/// last reference goes. A borrowed one (the standard streams, a descriptor a caller keeps) is never closed here.
/// Closing while another thread still reads or writes it is the caller's mistake: the number may be reused.
public final class FileDescriptor: Sendable {
    private let storage: Atomic<Int32>
    /// Whether `close()` closes the descriptor (false for a borrowed one).
    public let ownsDescriptor: Bool
    /// The path it was opened by, for messages (nil when it came from elsewhere).
    public let path: String?

    /// Takes ownership of `rawValue`.
    public init(adopting rawValue: Int32, path: String? = nil) {
        storage = Atomic(rawValue)
        ownsDescriptor = true
        self.path = path
    }

    /// Wraps `rawValue` without owning it: `close()` only forgets it.
    public init(borrowing rawValue: Int32, path: String? = nil) {
        storage = Atomic(rawValue)
        ownsDescriptor = false
        self.path = path
    }

    public static let standardInput = FileDescriptor(borrowing: 0, path: "standard input")
    public static let standardOutput = FileDescriptor(borrowing: 1, path: "standard output")
    public static let standardError = FileDescriptor(borrowing: 2, path: "standard error")

    deinit { close() }

    /// The descriptor number; -1 once closed or released.
    public var rawValue: Int32 { storage.load(ordering: .acquiring) }

    public var isOpen: Bool { rawValue >= 0 }

    /// Closes it (when owned); later calls do nothing.
    public func close() {
        let old = storage.exchange(-1, ordering: .acquiringAndReleasing)
        if old >= 0, ownsDescriptor { _ = Glibc.close(old) }
    }

    /// Gives the descriptor number to the caller, who closes it from now on.
    public func release() -> Int32 { storage.exchange(-1, ordering: .acquiringAndReleasing) }

    /// Opens `path` (relative paths start at the working directory).
    public static func open(_ path: String, _ options: OpenOptions = .readOnly, permissions: UInt32 = 0o644)
        throws(EstibaError) -> FileDescriptor
    {
        try at(AT_FDCWD, path, options, permissions: permissions, shown: path)
    }

    /// Opens `name` relative to this directory (a name with slashes is resolved by the kernel, links included).
    public func open(_ name: String, _ options: OpenOptions = .readOnly, permissions: UInt32 = 0o644)
        throws(EstibaError) -> FileDescriptor
    {
        try Self.at(rawValue, name, options, permissions: permissions, shown: entryPath(name))
    }

    private static func at(_ dirfd: Int32, _ name: String, _ options: OpenOptions, permissions: UInt32, shown: String)
        throws(EstibaError) -> FileDescriptor
    {
        while true {
            let fd = csys_openat(dirfd, name, options.flags, permissions)
            if fd >= 0 { return FileDescriptor(adopting: fd, path: shown) }
            if errno == EINTR { continue }
            throw .last("open", path: shown)
        }
    }

    /// How an entry of this directory is named in messages.
    func entryPath(_ name: String) -> String {
        guard let path else { return name }
        return path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// A new descriptor for the same open file (close-on-exec).
    public func duplicate() throws(EstibaError) -> FileDescriptor {
        let fd = fcntl(rawValue, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw .last("duplicate the descriptor of", path: path) }
        return FileDescriptor(adopting: fd, path: path)
    }

    /// Makes `target` a copy of this descriptor (dup2), inheritable by programs executed later.
    public func duplicate(onto target: Int32) throws(EstibaError) {
        while dup2(rawValue, target) < 0 {
            if errno == EINTR { continue }
            throw .last("duplicate the descriptor of", path: path)
        }
    }

    /// Whether a program this process executes inherits it (it does not by default).
    public func setInheritable(_ inheritable: Bool) throws(EstibaError) {
        let flags = fcntl(rawValue, F_GETFD)
        guard flags >= 0 else { throw .last("read the flags of", path: path) }
        let wanted = inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC
        guard fcntl(rawValue, F_SETFD, wanted) == 0 else { throw .last("set the flags of", path: path) }
    }

    /// Whether reads and writes return at once instead of waiting (this class's own reads and writes wait
    /// either way).
    public func setNonBlocking(_ nonBlocking: Bool) throws(EstibaError) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0 else { throw .last("read the flags of", path: path) }
        let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard fcntl(rawValue, F_SETFL, wanted) == 0 else { throw .last("set the flags of", path: path) }
    }
}
