import Glibc

/// Starting a program in a new process with posix_spawn (never fork: Swift must not run in a forked child of
/// a multi-threaded process).
public struct Spawn: Sendable {
    /// What a descriptor of the child is.
    public enum ChildDescriptor: Sendable {
        /// A copy of one of ours.
        case copy(FileDescriptor)
        /// /dev/null, opened for reading or writing.
        case nullDevice(writable: Bool)
    }

    /// The program: a path, or a name looked up in PATH when `searchPath`.
    public var executable: String
    /// argv, its first element included.
    public var arguments: [String]
    /// The environment ("KEY=value"); nil: this process's.
    public var environment: [String]?
    public var searchPath = false
    /// The child's descriptors by number; the standard ones not given are inherited. A descriptor copied in
    /// must not itself be the number of another entry (they are set up in order of number).
    public var descriptors: [Int32: ChildDescriptor] = [:]
    /// Close every other descriptor above 2 in the child (most are close-on-exec already; this catches the
    /// rest, so a child holds nothing a reader of ours waits on).
    public var closeOtherDescriptors = false
    /// Run the child in a session of its own (detached from our terminal and process group).
    public var newSession = false

    public init(executable: String, arguments: [String], environment: [String]? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// Starts the program; returns the child's pid (wait for it with `Processes.wait`).
    public func start() throws(EstibaError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            switch source {
            case .copy(let fd): posix_spawn_file_actions_adddup2(&actions, fd.rawValue, target)
            case .nullDevice(let writable): posix_spawn_file_actions_addopen(&actions, target, "/dev/null", writable ? O_WRONLY : O_RDONLY, 0)
            }
        }
        if closeOtherDescriptors {
            let keep = Set(descriptors.keys)
            for fd in try Processes.openDescriptors() where fd > 2 && !keep.contains(fd) {
                posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if newSession { posix_spawnattr_setflags(&attributes, Self.setSessionFlag) }
        var pid: pid_t = 0
        let rc: Int32 = arguments.withCStringArray { argv in
            let run = { (envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 in
                searchPath
                    ? posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
                    : posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
            guard let environment else { return run(environ) }
            return environment.withCStringArray { run($0) }
        }
        guard rc == 0 else { throw EstibaError.system(rc, "start", path: executable) }
        return pid
    }

    /// POSIX_SPAWN_SETSID (glibc's value; the header defines it only with _GNU_SOURCE).
    private static let setSessionFlag: Int16 = 0x80
}
