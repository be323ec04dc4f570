import EstibaJSON
import System

/// The OCI runtime-spec `config.json` for a container (so the same bundle can also be run by runc).
public enum Bundle {
    public static func config(_ spec: ContainerSpec) -> JSONValue {
        let caps = JSONValue(spec.policy.capabilityNames)
        var namespaces: [JSONValue] = [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
        // A bridge network is attached at each start by whoever starts the bundle (see `ContainerNetworking`).
        if spec.network != .host { namespaces.append(["type": "network"]) }
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
            "resources": resources(spec.limits, devices: spec.deviceRules),
            "namespaces": .array(namespaces),
            "maskedPaths": JSONValue(spec.policy.maskedPaths),
            "readonlyPaths": JSONValue(spec.policy.readonlyPaths),
        ]
        if let id = spec.cgroupID { linux.append("cgroupsPath", .string("estiba/" + id)) }
        if !spec.devices.isEmpty {
            linux.append("devices", .array(spec.devices.map { d in
                [
                    "path": .string(d.path), "type": .string(String(d.type)), "major": .int(Int64(d.major)), "minor": .int(Int64(d.minor)),
                    "fileMode": .int(Int64(d.mode)), "uid": .int(Int64(d.uid)), "gid": .int(Int64(d.gid)),
                ]
            }))
        }
        if let seccomp = spec.seccomp { linux.append("seccomp", seccomp.json) }
        return [
            "ociVersion": "1.0.2",
            "root": ["path": .string(spec.mountPoint), "readonly": .bool(spec.readOnlyRoot)],
            "hostname": .string(spec.hostname),
            "process": [
                "terminal": false,
                "user": ["uid": .int(Int64(spec.user.uid)), "gid": .int(Int64(spec.user.gid)), "additionalGids": .array(spec.user.groups.map { .int(Int64($0)) })],
                "args": JSONValue(spec.arguments), "env": JSONValue(spec.environment), "cwd": .string(spec.workingDirectory),
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps],
                "noNewPrivileges": .bool(spec.noNewPrivileges),
            ],
            "mounts": .array(mounts),
            "linux": .object(linux),
            "annotations": annotations(spec),
        ]
    }
}

extension Bundle {
    /// The lower directories, and whether seccomp was turned off on purpose (a bundle without a filter and
    /// without that mark gets the default one).
    static func annotations(_ spec: ContainerSpec) -> JSONValue {
        var a: JSONObject = [lowerDirectoriesAnnotation: .string(spec.root.parents.joined(separator: ":"))]
        if spec.seccomp == nil { a.append(unconfinedAnnotation, "true") }
        return .object(a)
    }

    static let unconfinedAnnotation = "io.estiba.seccomp.unconfined"
    static let lowerDirectoriesAnnotation = "org.opencontainers.image.lowerdirs"

    /// OCI `linux.resources` for the limits.
    static func resources(_ l: ResourceLimits, devices rules: [DeviceRule]) -> JSONValue {
        var o = JSONObject()
        if let m = l.memoryBytes { o.append("memory", ["limit": .int(m)]) }
        if let p = l.pids { o.append("pids", ["limit": .int(p)]) }
        if let c = l.cpus { o.append("cpu", ["quota": .int(Cgroups.quota(cpus: c)), "period": 100000]) }
        o.append("devices", .array([["allow": false, "access": "rwm"]] + rules.map { r in
            var d: JSONObject = ["allow": true, "type": .string(String(r.type))]
            if let m = r.major { d.append("major", .int(m)) }
            if let m = r.minor { d.append("minor", .int(m)) }
            d.append("access", .string(r.access))
            return .object(d)
        }))
        return .object(o)
    }

    /// The spec a bundle written by `config(_:)` describes (for the monitor of a detached container).
    public static func spec(from config: JSONValue, directory: String) throws(EstibaError) -> ContainerSpec {
        guard let process = config["process"], let args = process["args"]?.arrayValue?.compactMap(\.stringValue), !args.isEmpty,
            let lowers = config["annotations"]?[lowerDirectoriesAnnotation]?.stringValue
        else { throw EstibaError.runtime("The bundle in \(directory) is incomplete; remove the container and run it again.") }
        var spec = ContainerSpec(
            root: ActiveSnapshot(directory: directory, parents: lowers.split(separator: ":").map(String.init)),
            mountPoint: BundleFiles(directory: directory).rootfs, arguments: args,
            environment: process["env"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            workingDirectory: process["cwd"]?.stringValue ?? "/", hostname: config["hostname"]?.stringValue ?? "")
        let user = process["user"]
        guard let uid = UInt32(exactly: user?["uid"]?.intValue ?? 0), let gid = UInt32(exactly: user?["gid"]?.intValue ?? 0) else {
            throw EstibaError.runtime("The bundle in \(directory) has an invalid user; remove the container and run it again.")
        }
        spec.user = (uid, gid, (user?["additionalGids"]?.arrayValue ?? []).compactMap { $0.intValue.flatMap { UInt32(exactly: $0) } })
        let namespaces = config["linux"]?["namespaces"]?.arrayValue ?? []
        spec.network = namespaces.contains { $0["type"] == "network" } ? .none : .host
        spec.readOnlyRoot = config["root"]?["readonly"]?.boolValue ?? false
        spec.noNewPrivileges = process["noNewPrivileges"]?.boolValue ?? false
        if let filter = config["linux"]?["seccomp"] {
            guard let parsed = SeccompFilter(json: filter) else {
                throw EstibaError.runtime("The bundle in \(directory) has an invalid seccomp filter; remove the container and run it again.")
            }
            spec.seccomp = parsed
        } else {
            spec.seccomp = config["annotations"]?[unconfinedAnnotation] == "true" ? nil : SeccompProfile.defaultFilter
        }
        let access = Dictionary(
            (config["linux"]?["resources"]?["devices"]?.arrayValue ?? []).compactMap { d -> (String, String)? in
                guard d["allow"]?.boolValue == true, let major = d["major"]?.intValue, let minor = d["minor"]?.intValue, let a = d["access"]?.stringValue
                else { return nil }
                return ("\(major):\(minor)", a)
            }, uniquingKeysWith: { _, last in last })
        for d in config["linux"]?["devices"]?.arrayValue ?? [] {
            guard let path = d["path"]?.stringValue, let type = d["type"]?.stringValue?.first, let major = d["major"]?.intValue.flatMap({ UInt32(exactly: $0) }),
                let minor = d["minor"]?.intValue.flatMap({ UInt32(exactly: $0) })
            else { continue }
            spec.devices.append(DeviceNode(
                hostPath: path, path: path, type: type, major: major, minor: minor,
                mode: d["fileMode"]?.intValue.flatMap { UInt32(exactly: $0) } ?? 0o660, uid: d["uid"]?.intValue.flatMap { UInt32(exactly: $0) } ?? 0,
                gid: d["gid"]?.intValue.flatMap { UInt32(exactly: $0) } ?? 0, access: access["\(major):\(minor)"] ?? "rwm"))
        }
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
