/// What to run and how: the container's root (a snapshot: the image's layers and the container's own writable
/// layer) and its first process.
public struct ContainerSpec: Sendable {
    public var root: ActiveSnapshot
    /// An empty directory the root is mounted on (inside the container's own mount namespace only).
    public var mountPoint: String
    public var arguments: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var hostname: String
    public var user: (uid: UInt32, gid: UInt32, groups: [UInt32]) = (0, 0, [])
    public var network: NetworkMode = .none
    /// Lines added to the hosts file (`--add-host`), and the resolv.conf to write instead of the host's; both only
    /// for `BundleFiles.write`.
    public var hostsEntries: [String] = []
    public var resolvText: String?
    public var readOnlyRoot = false
    /// Give the process a terminal (a pty from the container's own devpts).
    public var terminal = false
    /// The terminal's size from the start, before the command runs (nil: 0x0 until resized).
    public var terminalSize: TerminalSize?
    /// Files bind-mounted read-only over /etc/hosts, /etc/hostname and /etc/resolv.conf.
    public var hostsFile: String?
    public var hostnameFile: String?
    public var resolvFile: String?
    /// Volumes and bind mounts, mounted in this order.
    public var mounts: [VolumeMount] = []
    /// The container's cgroups are `estiba/<cgroupID>` (nil: none); limits and the device allow-list apply there.
    public var cgroupID: String?
    public var limits = ResourceLimits()
    /// Host devices made available (`--device`), beyond the default allow-list.
    public var devices: [DeviceNode] = []
    /// The seccomp filter installed last before the command starts (nil: unconfined).
    public var seccomp: SeccompFilter? = SeccompProfile.defaultFilter
    /// `no-new-privileges`: setuid programs cannot gain privileges (off by default, as with Docker).
    public var noNewPrivileges = false
    /// Masked and read-only paths, capabilities, /dev nodes and the device allow-list.
    public var policy = SecurityPolicy.standard

    /// The device allow-list: the policy's plus each `--device`.
    public var deviceRules: [DeviceRule] { policy.allowedDevices + devices.map(\.rule) }

    public init(
        root: ActiveSnapshot, mountPoint: String, arguments: [String], environment: [String], workingDirectory: String = "/", hostname: String
    ) {
        self.root = root
        self.mountPoint = mountPoint
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.hostname = hostname
    }
}

/// A host directory or file (a bind mount, or a named volume's data) mounted at `target` in the container. The
/// target resolves inside the container's root: no `..` or link in the image can lead it outside.
public struct VolumeMount: Sendable, Equatable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }
}

/// The container's network: `bridge` (the default for containers and RUN steps, as with Docker) is a namespace of
/// its own, from the launcher's clone, that `ContainerNetworking` attaches to a bridge network before the command
/// runs (the launcher's `beforeStart`); `none` a private namespace with only its loopback device; `host` shares
/// the machine's network. The launcher treats `bridge` as `none`: attaching is its caller's part.
public enum NetworkMode: String, Sendable {
    case none, host, bridge
}

