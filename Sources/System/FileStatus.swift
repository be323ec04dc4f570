import CSys
import Glibc

/// What kind of entry a file is.
public enum FileKind: Sendable, Hashable {
    case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, unknown

    /// The kind the type bits of a mode (`st_mode`) give.
    public init(mode: UInt32) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        default: self = .unknown
        }
    }

    /// The type bits of a mode, for creating a node (`makeNode`).
    public var typeBits: UInt32 {
        switch self {
        case .regular: S_IFREG
        case .directory: S_IFDIR
        case .symbolicLink: S_IFLNK
        case .characterDevice: S_IFCHR
        case .blockDevice: S_IFBLK
        case .fifo: S_IFIFO
        case .socket: S_IFSOCK
        case .unknown: 0
        }
    }
}

/// A point in time as file systems keep it.
public struct FileTime: Sendable, Hashable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(_ t: timespec) { self.init(seconds: Int64(t.tv_sec), nanoseconds: Int64(t.tv_nsec)) }

    var timespec: Glibc.timespec { Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)) }
}

/// What `stat` says of a file.
public struct FileStatus: Sendable, Hashable {
    public var kind: FileKind
    /// Type and permission bits (`st_mode`).
    public var mode: UInt32
    public var userID: UInt32
    public var groupID: UInt32
    public var size: Int64
    public var inode: UInt64
    /// The device of the file system holding it.
    public var device: UInt64
    /// For a device node, the device it stands for.
    public var specialDevice: UInt64
    public var linkCount: UInt64
    public var accessed: FileTime
    public var modified: FileTime
    public var changed: FileTime

    init(_ st: stat) {
        kind = FileKind(mode: st.st_mode)
        mode = st.st_mode
        userID = st.st_uid
        groupID = st.st_gid
        size = Int64(st.st_size)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        specialDevice = UInt64(st.st_rdev)
        linkCount = UInt64(st.st_nlink)
        accessed = FileTime(st.st_atim)
        modified = FileTime(st.st_mtim)
        changed = FileTime(st.st_ctim)
    }

    /// The permission bits (with setuid, setgid and sticky).
    public var permissions: UInt32 { mode & 0o7777 }

    public var deviceMajor: UInt32 { csys_major(dev_t(specialDevice)) }
    public var deviceMinor: UInt32 { csys_minor(dev_t(specialDevice)) }

    /// A device number from its major and minor parts.
    public static func deviceNumber(major: UInt32, minor: UInt32) -> UInt64 { UInt64(csys_makedev(major, minor)) }

    /// Whether two statuses are of the same file (device and inode).
    public func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}

extension FileDescriptor {
    /// The status of the open file.
    public func status() throws(EstibaError) -> FileStatus {
        var st = stat()
        guard fstat(rawValue, &st) == 0 else { throw .last("inspect", path: path) }
        return FileStatus(st)
    }

    /// The status of `name` in this directory; of a symbolic link itself unless `followLinks`.
    public func status(of name: String, followLinks: Bool = false) throws(EstibaError) -> FileStatus {
        var st = stat()
        guard fstatat(rawValue, name, &st, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .last("inspect", path: entryPath(name))
        }
        return FileStatus(st)
    }
}
