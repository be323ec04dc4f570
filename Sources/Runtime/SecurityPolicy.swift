/// What every container is confined to, as Docker confines it: the /proc and /sys paths masked or made read-only,
/// the capabilities kept, the device nodes of its /dev and the devices it may open. The bundle's config.json and
/// the launcher both take these from here.
public struct SecurityPolicy: Sendable, Equatable {
    /// A Linux capability: its name (as OCI bundles write it) and its number (as the kernel knows it).
    public struct Capability: Sendable, Equatable {
        public var name: String
        public var number: Int32
    }

    /// Hidden from the container: a directory gets an empty read-only tmpfs over it, a file /dev/null.
    public var maskedPaths: [String]
    /// Bound read-only over themselves.
    public var readonlyPaths: [String]
    /// Kept in the bounding set, and (for root) effective, permitted and inheritable; every other is dropped.
    public var capabilities: [Capability]
    /// Made in the container's fresh /dev (a tmpfs), besides its links and its pts, shm and mqueue mounts.
    public var deviceNodes: [DeviceNode]
    /// The devices cgroup's allow-list; everything else is denied.
    public var allowedDevices: [DeviceRule]

    public var capabilityNames: [String] { capabilities.map(\.name) }

    /// Docker's defaults.
    public static let standard: SecurityPolicy = {
        let nodes = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)].map { name, major, minor in
            DeviceNode(
                hostPath: "/dev/" + name, path: "/dev/" + name, type: "c", major: UInt32(major), minor: UInt32(minor), mode: 0o666, uid: 0,
                gid: 0, access: "rwm")
        }
        // Any node may be created, but only these may be opened: the nodes above, console, ptmx and the
        // pseudo-terminals (runc's list).
        let allowed =
            [DeviceRule(type: "c", major: nil, minor: nil, access: "m"), DeviceRule(type: "b", major: nil, minor: nil, access: "m")]
            + nodes.map(\.rule)
            + [
                DeviceRule(type: "c", major: 5, minor: 1, access: "rwm"), DeviceRule(type: "c", major: 5, minor: 2, access: "rwm"),
                DeviceRule(type: "c", major: 136, minor: nil, access: "rwm"),
            ]
        return SecurityPolicy(
            maskedPaths: [
                "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
            ],
            readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            capabilities: [
                ("CAP_CHOWN", 0), ("CAP_DAC_OVERRIDE", 1), ("CAP_FSETID", 4), ("CAP_FOWNER", 3), ("CAP_MKNOD", 27), ("CAP_NET_RAW", 13),
                ("CAP_SETGID", 6), ("CAP_SETUID", 7), ("CAP_SETFCAP", 31), ("CAP_SETPCAP", 8), ("CAP_NET_BIND_SERVICE", 10),
                ("CAP_SYS_CHROOT", 18), ("CAP_KILL", 5), ("CAP_AUDIT_WRITE", 29),
            ].map { Capability(name: $0, number: $1) },
            deviceNodes: nodes, allowedDevices: allowed)
    }()
}
