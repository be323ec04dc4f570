import System

/// One entry of a container's device allow-list (the devices cgroup): which device nodes it may create (`m`),
/// read (`r`) or write (`w`). Everything not allowed is denied.
public struct DeviceRule: Sendable, Equatable {
    /// "a" (any), "c" (character) or "b" (block).
    public var type: Character
    /// nil: any.
    public var major: Int64?
    public var minor: Int64?
    /// A subset of "rwm".
    public var access: String

    public init(type: Character, major: Int64?, minor: Int64?, access: String) {
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The cgroup v1 `devices.allow` line ("c 1:3 rwm").
    public var v1Line: String {
        "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// The access bits as the kernel's BPF_DEVCG_ACC_* (mknod 1, read 2, write 4).
    var accessBits: UInt32 {
        (access.contains("m") ? 1 : 0) | (access.contains("r") ? 2 : 0) | (access.contains("w") ? 4 : 0)
    }
}

/// A host device made available in the container (`--device /dev/sdb[:/dev/xvdc][:rwm]`): a node at `path` and
/// a rule allowing it.
public struct DeviceNode: Sendable, Equatable {
    public var hostPath: String
    public var path: String
    /// "c" or "b".
    public var type: Character
    public var major: UInt32
    public var minor: UInt32
    /// Permission bits of the node.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// A subset of "rwm".
    public var access: String

    public var rule: DeviceRule { DeviceRule(type: type, major: Int64(major), minor: Int64(minor), access: access) }

    /// Parses a `--device` value and reads the host node it names.
    public static func parse(_ value: String) throws(EstibaError) -> DeviceNode {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let host = parts.first, host.hasPrefix("/") else {
            throw EstibaError.runtime("Invalid device \"\(value)\": use --device /dev/HOST[:/dev/CONTAINER][:rwm].", stage: "devices")
        }
        var target = host
        var access = "rwm"
        if parts.count == 2 {
            if isAccess(parts[1]) { access = parts[1] } else { target = parts[1] }
        } else if parts.count == 3 {
            target = parts[1]
            access = parts[2]
        }
        guard isAccess(access) else {
            throw EstibaError.runtime("Invalid device permissions \"\(access)\" in \"\(value)\": use a combination of r, w and m.", stage: "devices")
        }
        guard target.hasPrefix("/"), !target.split(separator: "/").contains(".."), target != "/" else {
            throw EstibaError.runtime("Invalid device path \"\(target)\" in \"\(value)\": give an absolute path in the container.", stage: "devices")
        }
        let st: FileStatus
        do { st = try Files.status(host) } catch {
            throw EstibaError.runtime(cannot: "use device \(host)", error, advice: "Give a device node that exists on this host.", stage: "devices")
        }
        guard st.kind == .characterDevice || st.kind == .blockDevice else {
            throw EstibaError.runtime("\(host) is not a device node: --device takes a character or block device.", stage: "devices")
        }
        return DeviceNode(
            hostPath: host, path: target, type: st.kind == .blockDevice ? "b" : "c", major: st.deviceMajor,
            minor: st.deviceMinor, mode: st.permissions, uid: st.userID, gid: st.groupID, access: access)
    }

    static func isAccess(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 3 && s.allSatisfy { "rwm".contains($0) } && Set(s).count == s.count
    }
}
