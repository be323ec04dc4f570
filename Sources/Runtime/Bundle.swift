import EstibaJSON

/// The OCI runtime-spec `config.json` for a container (so the same bundle can also be run by runc).
public enum Bundle {
    public static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    public static func config(_ spec: ContainerSpec) -> JSONValue {
        let caps = JSONValue(defaultCapabilities)
        var namespaces: [JSONValue] = [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
        if spec.network == .none { namespaces.append(["type": "network"]) }
        var mounts: [JSONValue] = [
            ["destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
        ]
        for (dest, src) in [("/etc/hosts", spec.hostsFile), ("/etc/hostname", spec.hostnameFile), ("/etc/resolv.conf", spec.resolvFile)] {
            if let src { mounts.append(["destination": .string(dest), "type": "bind", "source": .string(src), "options": ["rbind", "ro", "nosuid", "nodev"]]) }
        }
        for m in spec.mounts {
            mounts.append(["destination": .string(m.target), "type": "bind", "source": .string(m.source), "options": m.readOnly ? ["rbind", "ro"] : ["rbind", "rw"]])
        }
        var linux: JSONObject = [
            "resources": resources(spec.limits),
            "namespaces": .array(namespaces),
            "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        ]
        if let id = spec.cgroupID { linux.append("cgroupsPath", .string("estiba/" + id)) }
        return [
            "ociVersion": "1.0.2",
            "root": ["path": .string(spec.mountPoint), "readonly": .bool(spec.readOnlyRoot)],
            "hostname": .string(spec.hostname),
            "process": [
                "terminal": false,
                "user": ["uid": .int(Int64(spec.user.uid)), "gid": .int(Int64(spec.user.gid)), "additionalGids": .array(spec.user.groups.map { .int(Int64($0)) })],
                "args": JSONValue(spec.arguments), "env": JSONValue(spec.environment), "cwd": .string(spec.workingDirectory),
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps],
                "noNewPrivileges": true,
            ],
            "mounts": .array(mounts),
            "linux": .object(linux),
            "annotations": ["org.opencontainers.image.lowerdirs": .string(spec.lowerDirectories.joined(separator: ":"))],
        ]
    }
}

extension Bundle {
    /// OCI `linux.resources` for the limits.
    static func resources(_ l: ResourceLimits) -> JSONValue {
        var o = JSONObject()
        if let m = l.memoryBytes { o.append("memory", ["limit": .int(m)]) }
        if let p = l.pids { o.append("pids", ["limit": .int(p)]) }
        if let c = l.cpus { o.append("cpu", ["quota": .int(Int64(c * 100_000)), "period": 100000]) }
        return .object(o)
    }

    /// The spec a bundle written by `config(_:)` describes (for the monitor of a detached container).
    public static func spec(from config: JSONValue, directory: String) throws(RuntimeError) -> ContainerSpec {
        guard let process = config["process"], let args = process["args"]?.arrayValue?.compactMap(\.stringValue), !args.isEmpty,
            let lowers = config["annotations"]?["org.opencontainers.image.lowerdirs"]?.stringValue
        else { throw RuntimeError("The bundle in \(directory) is incomplete; remove the container and run it again.") }
        var spec = ContainerSpec(
            lowerDirectories: lowers.split(separator: ":").map(String.init), upperDirectory: directory + "/upper",
            workDirectory: directory + "/work", mountPoint: directory + "/rootfs", arguments: args,
            environment: process["env"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            workingDirectory: process["cwd"]?.stringValue ?? "/", hostname: config["hostname"]?.stringValue ?? "")
        let user = process["user"]
        spec.user = (
            UInt32(user?["uid"]?.intValue ?? 0), UInt32(user?["gid"]?.intValue ?? 0),
            (user?["additionalGids"]?.arrayValue ?? []).compactMap { $0.intValue.map { UInt32($0) } }
        )
        let namespaces = config["linux"]?["namespaces"]?.arrayValue ?? []
        spec.network = namespaces.contains { $0["type"] == "network" } ? .none : .host
        spec.readOnlyRoot = config["root"]?["readonly"]?.boolValue ?? false
        if let path = config["linux"]?["cgroupsPath"]?.stringValue, path.hasPrefix("estiba/") { spec.cgroupID = String(path.dropFirst(7)) }
        let r = config["linux"]?["resources"]
        spec.limits.memoryBytes = r?["memory"]?["limit"]?.intValue
        spec.limits.pids = r?["pids"]?["limit"]?.intValue
        if let q = r?["cpu"]?["quota"]?.intValue, let period = r?["cpu"]?["period"]?.intValue, period > 0 { spec.limits.cpus = Double(q) / Double(period) }
        for m in config["mounts"]?.arrayValue ?? [] {
            switch m["destination"]?.stringValue {
            case "/etc/hosts": spec.hostsFile = m["source"]?.stringValue
            case "/etc/hostname": spec.hostnameFile = m["source"]?.stringValue
            case "/etc/resolv.conf": spec.resolvFile = m["source"]?.stringValue
            default:
                if m["type"] == "bind", let source = m["source"]?.stringValue, let target = m["destination"]?.stringValue {
                    let options = m["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    spec.mounts.append(VolumeMount(source: source, target: target, readOnly: options.contains("ro")))
                }
            }
        }
        return spec
    }
}
