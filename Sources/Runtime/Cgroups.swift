import CLauncher
import ImageStore
import System

/// Resource limits of a container (`--memory`, `--pids-limit`, `--cpus`).
public struct ResourceLimits: Sendable, Equatable {
    public var memoryBytes: Int64?
    public var pids: Int64?
    /// CPUs' worth of time per period (0.5 = half a CPU).
    public var cpus: Double?

    public init(memoryBytes: Int64? = nil, pids: Int64? = nil, cpus: Double? = nil) {
        self.memoryBytes = memoryBytes
        self.pids = pids
        self.cpus = cpus
    }

    public var isEmpty: Bool { memoryBytes == nil && pids == nil && cpus == nil }
}

/// A container's cgroups, `estiba/<id>` under each controller. Works on cgroup v1 controllers (this host's
/// hybrid layout: v1 controllers plus a unified mount) and on a pure v2 hierarchy. Every container gets one, so
/// it can be frozen (for commit) and its processes counted; limits are written when given.
public struct Cgroups: Sendable {
    public let id: String
    /// The directories made (v1: one per controller; v2: one).
    public let directories: [String]

    static let root = "/sys/fs/cgroup"
    static let isV2 = Files.exists(root + "/cgroup.controllers")

    /// The v1 controllers a container joins (all that exist here).
    static let v1Controllers = ["pids", "memory", "cpu", "freezer", "devices"]
    /// The cgroup v2 hierarchy beside v1 controllers on a hybrid host (device programs attach there).
    static let hybridUnified = root + "/unified"

    /// How the device allow-list is enforced on a host with v1 controllers: the v1 devices controller (as runc
    /// does there). `ESTIBA_DEVICE_CGROUP=bpf` uses a BPF device program in the hybrid host's v2 hierarchy instead,
    /// `=both` uses both. (On a pure v2 host the BPF program is the only way.)
    static var deviceEnforcement: (v1: Bool, bpf: Bool) {
        switch Environment.value("ESTIBA_DEVICE_CGROUP") {
        case "bpf": return (false, true)
        case "both": return (true, true)
        default: return (true, false)
        }
    }

    /// Makes the cgroups, writes the limits and installs the device allow-list.
    public static func create(id: String, limits: ResourceLimits, devices: [DeviceRule] = SecurityPolicy.standard.allowedDevices) throws(EstibaError) -> Cgroups {
        var made: [String] = []
        func fail(_ what: String, _ path: String, _ error: EstibaError) -> EstibaError {
            for d in made.reversed() { try? Files.removeDirectory(d) }
            return EstibaError.runtime(
                cannot: "\(what) (\(path))", error, advice: "Run as root on a host with cgroups, or drop the resource limits.", stage: "cgroups")
        }
        func write(_ value: String, _ file: String) throws(EstibaError) {
            do { try writeSetting(value, file) } catch { throw fail("set a limit", file, error) }
        }
        func ensureParent(_ parent: String) throws(EstibaError) {
            do { try Files.makeDirectory(parent) } catch {
                guard error.isAlreadyExisting else { throw fail("create the cgroup", parent, error) }
            }
        }
        /// Makes the group `id` under `parent`; returns its path.
        func makeGroup(in parent: String) throws(EstibaError) -> String {
            let dir = parent + "/" + id
            do { try Files.makeDirectory(dir) } catch { throw fail("create the cgroup", dir, error) }
            made.append(dir)
            return dir
        }
        if isV2 {
            let parent = root + "/estiba"
            try ensureParent(parent)
            // Let children use the controllers (best effort: some may not be delegated).
            for c in ["+memory", "+pids", "+cpu"] { try? write(c, parent + "/cgroup.subtree_control") }
            let dir = try makeGroup(in: parent)
            if let m = limits.memoryBytes { try write(String(m), dir + "/memory.max") }
            if let p = limits.pids { try write(String(p), dir + "/pids.max") }
            if let c = limits.cpus { try write("\(quota(cpus: c)) 100000", dir + "/cpu.max") }
            try attachDeviceProgram(dir, devices, cleanup: made)
            return Cgroups(id: id, directories: made)
        }
        let enforcement = deviceEnforcement
        for controller in v1Controllers {
            let base = root + "/" + controller
            guard Files.exists(base + "/cgroup.procs") else { continue }
            let parent = base + "/estiba"
            try ensureParent(parent)
            let dir = try makeGroup(in: parent)
            switch controller {
            case "pids": if let p = limits.pids { try write(String(p), dir + "/pids.max") }
            case "memory":
                if let m = limits.memoryBytes {
                    try write(String(m), dir + "/memory.limit_in_bytes")
                    // No swap beyond the limit (where the kernel accounts swap).
                    try? write(String(m), dir + "/memory.memsw.limit_in_bytes")
                }
            case "cpu":
                if let c = limits.cpus {
                    try write("100000", dir + "/cpu.cfs_period_us")
                    try write(String(quota(cpus: c)), dir + "/cpu.cfs_quota_us")
                }
            case "devices":
                if enforcement.v1 {
                    // Deny everything, then allow the list (the kernel keeps the order of the allow lines).
                    try write("a", dir + "/devices.deny")
                    for rule in devices { try write(rule.v1Line, dir + "/devices.allow") }
                }
            default: break
            }
        }
        // On a hybrid host, also a group in the v2 hierarchy for the device program.
        if enforcement.bpf, Files.exists(hybridUnified + "/cgroup.procs") {
            let parent = hybridUnified + "/estiba"
            try ensureParent(parent)
            let dir = try makeGroup(in: parent)
            try attachDeviceProgram(dir, devices, cleanup: made)
        }
        return Cgroups(id: id, directories: made)
    }

    /// CPU time per 100 ms period for `cpus` CPUs, clamped to what the kernel accepts (1 ms to 1,000 CPUs).
    static func quota(cpus: Double) -> Int64 {
        guard cpus.isFinite, cpus > 0 else { return 1_000 }
        return Int64(min(max(cpus * 100_000, 1_000), 100_000_000))
    }

    /// Loads and attaches the BPF device program that allows exactly `rules` to the v2 group `dir`.
    static func attachDeviceProgram(_ dir: String, _ rules: [DeviceRule], cleanup made: [String]) throws(EstibaError) {
        let c = rules.map { r in
            estiba_device_rule(
                type: CChar(UInt8(ascii: r.type == "b" ? "b" : r.type == "c" ? "c" : "a")), major: r.major ?? -1,
                minor: r.minor ?? -1, access: r.accessBits)
        }
        let group: FileDescriptor
        do { group = try FileDescriptor.open(dir, .directory) } catch {
            for d in made.reversed() { try? Files.removeDirectory(d) }
            throw EstibaError.runtime(cannot: "open the cgroup \(dir)", error, stage: "cgroups")
        }
        var log = [CChar](repeating: 0, count: 4096)
        let rc = c.withUnsafeBufferPointer { rules in
            log.withUnsafeMutableBufferPointer { estiba_attach_device_filter(group.rawValue, rules.baseAddress, Int32(rules.count), $0.baseAddress, $0.count) }
        }
        guard rc == 0 else {
            for d in made.reversed() { try? Files.removeDirectory(d) }
            let detail = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EstibaError.runtime(
                "Cannot install the device allow-list on \(dir): \(ErrorNumber.text(-rc))\(detail.isEmpty ? "" : " (" + detail + ")"). Run as root on a kernel with cgroup BPF device programs.",
                stage: "cgroups")
        }
    }

    /// Moves a process into every cgroup.
    public func add(_ pid: Int32) throws(EstibaError) {
        for dir in directories {
            do { try Self.writeSetting(String(pid), dir + "/cgroup.procs") } catch {
                throw EstibaError.runtime(cannot: "join the cgroup \(dir)", error, stage: "cgroups")
            }
        }
    }

    /// Removes the cgroups once their processes are gone (a dying pid namespace can take a moment).
    public func remove() {
        for dir in directories {
            for attempt in 0...200 {
                do {
                    try Files.removeDirectory(dir)
                    break
                } catch {
                    guard error.errorNumber == ErrorNumber.busy, attempt < 200 else { break }
                    sleepThread(nanoseconds: 5_000_000)
                }
            }
        }
    }

    /// The cgroup id of a build step: the store (a hash of its root) and the step's scratch directory, so the
    /// store's prune can find the groups of steps whose build is gone.
    public static func stepGroup(root: String, workspace: String) -> String {
        stepPrefix(root: root) + (workspace.split(separator: "/").last.map(String.init) ?? "step")
    }

    static func stepPrefix(root: String) -> String { "step-" + stableHash(root.utf8) + "-" }

    /// Ends the processes of, and removes, the step groups of store `root` whose build is gone: their scratch
    /// directory is gone, or no live process holds its lock.
    public static func removeAbandonedSteps(root: String) {
        let prefix = stepPrefix(root: root)
        var ids = Set<String>()
        let parents = (isV2 ? [Cgroups.root + "/estiba"] : v1Controllers.map { Cgroups.root + "/" + $0 + "/estiba" } + [hybridUnified + "/estiba"])
        for parent in parents {
            let names = (try? FileDescriptor.open(parent, .directory).names()) ?? []
            ids.formUnion(names.filter { $0.hasPrefix(prefix) })
        }
        let tmp = try? FileDescriptor.open(StoreLayout(root: root).tmp, .directory)
        for id in ids {
            // A step group is made only after its step took its scratch directory's lock.
            if let tmp, ScratchDirectory.isHeld(tmp, String(id.dropFirst(prefix.count))) { continue }  // still building
            let groups = existing(id: id)
            groups.killProcesses()
            groups.remove()
            // Its interface, address and rules on the default bridge, if it had them (attached by its cgroup ID).
            ContainerNetworking.release(containerID: id)
        }
    }

    /// Whether any process is in the groups.
    public var hasProcesses: Bool {
        directories.contains { dir in
            (try? Files.read(dir + "/cgroup.procs")).map { !$0.allSatisfy { $0 == 0x0A || $0 == 0x20 } } ?? false
        }
    }

    /// Sends SIGKILL to every process in the groups (a few passes: a process may fork between reading the list and
    /// the kill).
    public func killProcesses() {
        for _ in 0..<3 {
            for dir in directories {
                let pids = (try? Files.read(dir + "/cgroup.procs")).map { String(decoding: $0, as: UTF8.self) } ?? ""
                for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) where pid > 0 { try? Processes.send(.kill, to: pid) }
            }
        }
    }

    /// The existing cgroups of container `id` (for a monitor or a later commit).
    public static func existing(id: String) -> Cgroups {
        if isV2 {
            let dir = root + "/estiba/" + id
            return Cgroups(id: id, directories: Files.exists(dir) ? [dir] : [])
        }
        let dirs = v1Controllers.map { root + "/" + $0 + "/estiba/" + id } + [hybridUnified + "/estiba/" + id]
        return Cgroups(id: id, directories: dirs.filter(Files.exists))
    }

    /// Stops (`true`) or resumes every process of the container, for a consistent commit of a running one.
    public func freeze(_ frozen: Bool) throws(EstibaError) {
        if let v1 = directories.first(where: { $0.hasPrefix(Cgroups.root + "/freezer/") }) {
            try writeFreezer(frozen ? "FROZEN" : "THAWED", v1 + "/freezer.state")
            if frozen {
                // The state reads FREEZING until every task is stopped.
                for _ in 0..<200 {
                    let current = (try? Files.read(v1 + "/freezer.state")).map { String(decoding: $0, as: UTF8.self) } ?? ""
                    if current.hasPrefix("FROZEN") { return }
                    sleepThread(nanoseconds: 5_000_000)
                }
                throw EstibaError.runtime("The container did not pause within a second.", stage: "freezer")
            }
            return
        }
        if let v2 = directories.first(where: { $0.hasPrefix(Cgroups.root + "/estiba/") }) {
            try writeFreezer(frozen ? "1" : "0", v2 + "/cgroup.freeze")
            return
        }
        throw EstibaError.runtime("The container has no freezer cgroup, so it cannot be paused.", stage: "freezer")
    }

    /// Whether the container's processes are paused (or being paused) by the freezer.
    public var isFrozen: Bool {
        func read(_ file: String) -> String { (try? Files.read(file)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        if let v1 = directories.first(where: { $0.hasPrefix(Cgroups.root + "/freezer/") }) {
            return read(v1 + "/freezer.state").hasPrefix("FREEZ")
        }
        if let v2 = directories.first(where: { $0.hasPrefix(Cgroups.root + "/estiba/") }) {
            return read(v2 + "/cgroup.freeze").hasPrefix("1")
        }
        return false
    }

    /// Writes the freezer's state; a group that cannot be opened is an error, a refused write is not (the state
    /// read afterwards tells).
    private func writeFreezer(_ state: String, _ file: String) throws(EstibaError) {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(file, .writeOnly) } catch { throw EstibaError.runtime(cannot: "pause the container", error, stage: "freezer") }
        try? fd.writeAll(state)
    }

    /// Writes `value` to the control file `file` of a cgroup.
    static func writeSetting(_ value: String, _ file: String) throws(EstibaError) {
        try FileDescriptor.open(file, .writeOnly).writeAll(value)
    }
}
