import ImageStore
import System

/// Sets a container up from its image's run-time config and the options it runs with: its first process
/// (arguments by Docker's ENTRYPOINT and CMD rules, environment, user, working directory), hostname, mounts,
/// network, limits and security, and the files of its bundle directory. Containers (`run`, `create`) and the
/// builder's RUN steps are all set up here.
public struct ContainerSetup: Sendable {
    /// The image's run-time config. For a build step its `env` is the step's environment: the image's ENV and the
    /// build args the step sees.
    public var image: ContainerConfig
    /// The image as the user named it, for messages.
    public var imageName: String
    /// The container's ID: its hostname is the first 12 characters unless `hostname` is given, and its cgroups are
    /// named after it unless `cgroupID` is given.
    public var id: String
    // What the run gives instead of the image's: CMD (when not empty), ENTRYPOINT (when set; the image's CMD then
    // goes too), USER (`user`, `uid`, `user:group` or `uid:gid`, looked up in the root) and WORKDIR; and `KEY=VALUE`
    // entries that replace or add to the image's environment.
    public var command: [String] = []
    public var entrypoint: [String]?
    public var user: String?
    public var workingDirectory: String?
    public var environment: [String] = []
    public var hostname: String?
    /// Give the process a terminal (and `TERM=xterm` unless its environment sets TERM).
    public var tty = false
    /// The terminal's size when the process starts (with `tty`; nil: 0x0 until resized).
    public var terminalSize: TerminalSize?
    /// Volumes and bind mounts, resolved to host paths.
    public var volumes: [VolumeMount] = []
    public var network: NetworkMode = .none
    /// With `.bridge`: the network's gateway (`--add-host NAME:host-gateway`); the container's address and its
    /// peers' are added to its hosts file when it is attached, at each start (see `ContainerNetworking`).
    public var networkGateway: IPv4?
    /// `--add-host` entries (`NAME:IP`).
    public var extraHosts: [String] = []
    /// `--dns`, `--dns-search`, `--dns-option` (containers on a bridge network).
    public var dnsServers: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOptions: [String] = []
    public var readOnlyRoot = false
    public var limits = ResourceLimits()
    /// `--device` nodes.
    public var devices: [DeviceNode] = []
    public var security = SecurityOptions()
    public var cgroupID: String?

    public init(image: ContainerConfig, imageName: String, id: String) {
        self.image = image
        self.imageName = imageName
        self.id = id
    }

    /// The first process's arguments: the entrypoint (the given one, else the image's), then the command (the
    /// given one; else the image's CMD, unless an entrypoint was given).
    public func arguments() throws(EstibaError) -> [String] {
        let entry = entrypoint ?? image.entrypoint ?? []
        let cmd = command.isEmpty ? (entrypoint != nil ? [] : image.cmd ?? []) : command
        guard !(entry + cmd).isEmpty else {
            throw EstibaError.runtime(
                "No command given and image \(imageName) has no CMD or ENTRYPOINT; add a command after the image name.", stage: "command")
        }
        return entry + cmd
    }

    /// The user the process runs as: the given one, else the image's (empty: root).
    public var effectiveUser: String { user ?? image.user ?? "" }

    public var effectiveHostname: String { hostname ?? String(id.prefix(12)) }

    /// The process's environment, for a user whose home directory is `home`: the image's with the given entries
    /// merged in; then PATH (Docker's default, first, when it has none), HOSTNAME and HOME when it has none, and
    /// TERM=xterm with a terminal when it has none.
    public func processEnvironment(home: String) -> [String] {
        var env = Self.merge(image.env, environment)
        if !Self.sets("PATH", env) { env.insert(DefaultPath.variable, at: 0) }
        if !Self.sets("HOSTNAME", env) { env.append("HOSTNAME=" + effectiveHostname) }
        if !Self.sets("HOME", env) { env.append("HOME=" + home) }
        if tty, !Self.sets("TERM", env) { env.append("TERM=xterm") }
        return env
    }

    /// The spec of the container whose root is `root`, mounted on `mountPoint`, with its bundle files in `bundle`.
    /// The user is looked up in the root's layers.
    public func spec(root: ActiveSnapshot, mountPoint: String, bundle: String) throws(EstibaError) -> ContainerSpec {
        let arguments = try arguments()
        let resolved = try UserResolver.resolve(effectiveUser, layers: [root.upper] + root.parents)
        var spec = ContainerSpec(
            root: root, mountPoint: mountPoint, arguments: arguments, environment: processEnvironment(home: resolved.home),
            workingDirectory: workingDirectory ?? image.workingDir ?? "/", hostname: effectiveHostname)
        spec.user = (resolved.uid, resolved.gid, resolved.groups)
        spec.terminal = tty
        spec.terminalSize = tty ? terminalSize : nil
        spec.network = network
        spec.hostsEntries = hostsEntries()
        if network == .bridge || !dnsServers.isEmpty || !dnsSearch.isEmpty || !dnsOptions.isEmpty {
            spec.resolvText = ResolvConf.forBridge(host: ResolvConf.hostFile(), servers: dnsServers, search: dnsSearch, options: dnsOptions)
        }
        spec.readOnlyRoot = readOnlyRoot
        spec.mounts = volumes
        spec.cgroupID = cgroupID ?? id
        spec.limits = limits
        spec.devices = devices
        spec.seccomp = security.seccomp
        spec.noNewPrivileges = security.noNewPrivileges
        let files = BundleFiles(directory: bundle)
        spec.hostsFile = files.hosts
        spec.hostnameFile = files.hostname
        spec.resolvFile = files.resolvConf
        return spec
    }

    /// The spec (as `spec` makes it), with the bundle's files written (`runtimeConfig`: as `BundleFiles.write`).
    public func prepare(root: ActiveSnapshot, mountPoint: String, bundle: String, runtimeConfig: Bool = true) throws(EstibaError)
        -> ContainerSpec
    {
        let spec = try spec(root: root, mountPoint: mountPoint, bundle: bundle)
        try BundleFiles(directory: bundle).write(spec, runtimeConfig: runtimeConfig)
        return spec
    }

    /// The `--add-host` entries.
    func hostsEntries() -> [String] {
        var lines: [String] = []
        for entry in extraHosts {
            guard let colon = entry.firstIndex(of: ":") else { continue }
            var ip = String(entry[entry.index(after: colon)...])
            if ip == "host-gateway" { ip = networkGateway?.description ?? "127.0.0.1" }
            lines.append(ip + "\t" + String(entry[..<colon]))
        }
        return lines
    }

    /// Docker's rule: an entry replaces earlier ones with the same key (`KEY=…`, or a bare `KEY`).
    public static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var out = base
        for kv in overrides {
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            out.removeAll { $0 == key || $0.hasPrefix(key + "=") }
            out.append(kv)
        }
        return out
    }

    static func sets(_ name: String, _ env: [String]) -> Bool { env.contains { $0.hasPrefix(name + "=") } }
}
