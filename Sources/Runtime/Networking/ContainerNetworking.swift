import EstibaJSON
import System

/// What a container asks of the network (`run --network NAME -p … --network-alias …`).
public struct NetworkRequest: Sendable {
    public var network: Network
    public var ports: [PortMapping]
    public var aliases: [String]

    public init(network: Network, ports: [PortMapping] = [], aliases: [String] = []) {
        self.network = network
        self.ports = ports
        self.aliases = aliases
    }
}

/// A container's networking on a bridge network, as Docker does it: attached at every start, released at every
/// end. The container's process gets a new network namespace from the launcher's clone, and is attached through
/// `/proc/PID/ns/net` while it waits to start (`attacher`, the launcher's `beforeStart`); whoever records its end
/// (`ContainerStore.recordExit`, `remove`, recovery) calls `release`, which undoes everything from the host's side:
/// its veth, address, port rules, and its names in its peers' hosts files. Nothing is mounted on the host.
///
/// What is attached is recorded host-wide in `/run/estiba/attachments/<id>.json` (with the container's directory
/// and process), before the driver makes it: a process killed part-way leaves a record that `release` undoes, and
/// a container whose directory and process are both gone (its store deleted without `rm`) is released by the next
/// recovery (`releaseAbandoned`). Users of a network find each other by name through their hosts files.
public enum ContainerNetworking {
    /// The attachments of every container on the host, by container ID; flock'd by `.lock` for every change.
    public static let stateDirectory = "/run/estiba/attachments"

    static func statePath(_ id: String) -> String { stateDirectory + "/" + id + ".json" }

    /// The user networks whose bridges are on this host, by network ID: the network and the file of the store that
    /// keeps it, recorded before an attachment may make the bridge. Cleared at boot, as the bridges are.
    public static let bridgesDirectory = "/run/estiba/bridges"

    static func bridgePath(_ id: String) -> String { bridgesDirectory + "/" + id + ".json" }

    /// The driver Estiba uses (the one place that chooses it).
    public static func driver() throws(EstibaError) -> NetworkDriver { try CNIDriver() }

    /// A container's record of its attachments.
    struct State {
        var containerID: String
        /// The container's directory (or a build step's scratch directory).
        var directory: String
        /// Its process (the namespace's first user).
        var pid: Int32
        /// The namespace itself (`NamespaceIdentity`), as it was attached: `/proc/PID/ns/net` is used later only
        /// while it is still this one, never a namespace of whatever process took the pid since.
        var namespace: NamespaceIdentity?
        var attachments: [NetworkAttachment]

        var json: JSONValue {
            var o: JSONObject = ["containerID": .string(containerID), "directory": .string(directory), "pid": .int(Int64(pid))]
            if let namespace { o.append("namespace", .string(namespace.description)) }
            o.append("attachments", .array(attachments.map(\.json)))
            return .object(o)
        }

        init(containerID: String, directory: String, pid: Int32, namespace: NamespaceIdentity?, attachments: [NetworkAttachment]) {
            self.containerID = containerID
            self.directory = directory
            self.pid = pid
            self.namespace = namespace
            self.attachments = attachments
        }

        init?(json v: JSONValue) {
            guard let id = v["containerID"]?.stringValue, let directory = v["directory"]?.stringValue else { return nil }
            self.init(
                containerID: id, directory: directory, pid: v["pid"]?.intValue.flatMap { Int32(exactly: $0) } ?? 0,
                namespace: v["namespace"]?.stringValue.flatMap { NamespaceIdentity($0) },
                attachments: (v["attachments"]?.arrayValue ?? []).compactMap(NetworkAttachment.init(json:)))
        }

        /// `/proc/PID/ns/net` while the process still lives in the namespace attached; nil once it has ended (an
        /// ended process, zombie or gone, has no namespace there) or its pid belongs to another process now.
        var liveNamespacePath: String? {
            guard pid > 0, let namespace else { return nil }
            let path = "/proc/\(pid)/ns/net"
            return NamespaceIdentity(path: path) == namespace ? path : nil
        }
    }

    static func state(_ id: String) -> State? {
        guard isSafeName(id) else { return nil }
        return (try? Files.read(statePath(id))).flatMap { try? JSONValue.parse($0) }.flatMap(State.init(json:))
    }

    /// A container ID or a build step's cgroup ID: one path component.
    static func isSafeName(_ id: String) -> Bool {
        guard let first = id.utf8.first, first != 0x2E, id.utf8.count <= 200 else { return false }
        return id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    static func save(_ s: State) throws(EstibaError) {
        do { try AtomicFile.write(s.json.encodedPretty(), to: statePath(s.containerID), durable: false) } catch { throw error.recoded(.io) }
    }

    /// Runs `body` under the host-wide lock of the attachments, with a driver whose helpers inherit the lock (a
    /// plugin left running by a killed process keeps it until it is done).
    static func locked<T>(_ body: (NetworkDriver) throws(EstibaError) -> T) throws(EstibaError) -> T {
        do { try Files.makeDirectories(stateDirectory, permissions: 0o700) } catch {
            throw EstibaError.runtime(cannot: "create \(stateDirectory)", error, code: .io)
        }
        let lock: FileDescriptor
        do { lock = try FileDescriptor.open(stateDirectory + "/.lock", [.readWrite, .create], permissions: 0o600) } catch { throw error.recoded(.io) }
        defer { lock.close() }
        _ = try lock.lock(exclusive: true)
        return try body(try CNIDriver(holding: lock))
    }

    /// The container's interfaces as they are now (none when it is not running on a bridge network).
    public static func attachments(of id: String) -> [NetworkAttachment] {
        state(id)?.attachments.filter { !$0.pending } ?? []
    }

    /// Its network namespace while it runs attached (Docker's `SandboxKey`), else nil.
    public static func namespacePath(of id: String) -> String? {
        state(id)?.liveNamespacePath
    }

    /// What the launcher runs before the container's command for `record` (nil with `--network none` or `host`):
    /// it attaches the new namespace of the waiting process to every network of the record, its first one (with
    /// its ports) as eth0, those `network connect` added as eth1, eth2… in the order they were connected. The
    /// networks are looked up now: one removed since is one clear error at the start.
    public static func attacher(root: String, directory: String, record: ContainerRecord) throws(EstibaError) -> (@Sendable (Int32) throws(EstibaError) -> Void)? {
        let networks = record.networks
        guard !networks.isEmpty else { return nil }
        let store = try NetworkStore(root: root)
        var requests: [NetworkRequest] = []
        for c in networks {
            do { requests.append(NetworkRequest(network: try store.find(c.network), ports: requests.isEmpty ? record.portBindings : [], aliases: c.aliases)) } catch {
                throw error.adding(["container": record.name])
            }
        }
        let id = record.id, name = record.name
        return { [requests] pid throws(EstibaError) in
            try attach(directory: directory, containerID: id, name: name, pid: pid, requests: requests)
        }
    }

    /// Attaches the new network namespace of process `pid` (waiting to start) to `requests`' networks as eth0,
    /// eth1…, with host ports chosen and checked first. A container (`name` given) gets its address and its peers
    /// of every network in its hosts file, and its names in theirs. On failure nothing is left.
    @discardableResult
    public static func attach(directory: String, containerID: String, name: String?, pid: Int32, requests: [NetworkRequest]) throws(EstibaError) -> [NetworkAttachment] {
        let netns = "/proc/\(pid)/ns/net"
        // Anything a previous run left (a killed process) goes first.
        release(containerID: containerID)
        return try locked { (driver) throws(EstibaError) -> [NetworkAttachment] in
            // The process waits to start and is ours: its pid cannot have been taken by another.
            guard let namespace = NamespaceIdentity(path: netns) else {
                throw EstibaError.runtime("The container's process ended before its network was attached.", stage: "network")
            }
            var state = State(containerID: containerID, directory: directory, pid: pid, namespace: namespace, attachments: [])
            do throws(EstibaError) {
                for (i, request) in requests.enumerated() {
                    try noteBridge(of: request.network)
                    let ports = try choosePorts(request.ports, except: containerID)
                    let r = NetworkAttachRequest(containerID: containerID, namespacePath: netns, interface: "eth\(i)", network: request.network, ports: ports)
                    state.attachments.append(driver.planned(r))
                    try save(state)
                    var attachment = try driver.attach(r)
                    if let name { attachment.aliases = names(name: name, id: containerID, aliases: request.aliases, network: request.network) }
                    state.attachments[i] = attachment
                    try save(state)
                }
            } catch {
                // Every one made or begun is undone (what a planned one may have made included).
                for a in state.attachments.reversed() { driver.detach(a, containerID: containerID, namespacePath: netns) }
                try? Files.remove(statePath(containerID))
                throw error
            }
            if name != nil, !state.attachments.isEmpty {
                let containers = PathText.parent(directory)
                let peers = state.attachments.flatMap { announce($0, of: containerID, in: containers) }
                let own = state.attachments.map { ownHostsLine($0, of: containerID, directory: directory) }
                writeHosts(BundleFiles(directory: directory), own: own, peers: peers)
            }
            return state.attachments
        }
    }

    /// `network connect` of container `containerID`: one more interface (eth1, …) on `request`'s network when it
    /// runs on a bridge network; nil when it does not run (its record keeps the network for its next start).
    public static func connect(directory: String, containerID: String, name: String, request: NetworkRequest) throws(EstibaError) -> NetworkAttachment? {
        try locked { (driver) throws(EstibaError) -> NetworkAttachment? in
            guard var state = state(containerID), let netns = state.liveNamespacePath else { return nil }
            if state.attachments.contains(where: { $0.network == request.network.name }) {
                throw EstibaError(.alreadyExists, "Container \(name) is already connected to network \(request.network.name).", context: ["container": name])
            }
            let used = Set(state.attachments.map(\.interface))
            let interface = (0..<64).map { "eth\($0)" }.first { !used.contains($0) } ?? "eth64"
            let r = NetworkAttachRequest(containerID: containerID, namespacePath: netns, interface: interface, network: request.network, ports: [])
            try noteBridge(of: request.network)
            state.attachments.append(driver.planned(r))
            try save(state)
            var a: NetworkAttachment
            do throws(EstibaError) { a = try driver.attach(r) } catch {
                state.attachments.removeLast()
                try? save(state)
                throw error
            }
            a.aliases = names(name: name, id: containerID, aliases: request.aliases, network: request.network)
            state.attachments[state.attachments.count - 1] = a
            do throws(EstibaError) { try save(state) } catch {
                driver.detach(a, containerID: containerID, namespacePath: netns)
                throw error
            }
            let peers = announce(a, of: containerID, in: PathText.parent(directory))
            appendHosts([ownHostsLine(a, of: containerID, directory: directory)] + peers, to: BundleFiles(directory: directory).hosts)
            return a
        }
    }

    /// `network disconnect` of container `containerID`: its interface on `network` goes, if it has one now (it
    /// runs there); returns whether it had.
    @discardableResult
    public static func disconnect(directory: String, containerID: String, network: String) throws(EstibaError) -> Bool {
        try locked { (driver) throws(EstibaError) -> Bool in
            guard var state = state(containerID), let i = state.attachments.firstIndex(where: { $0.network == network }) else { return false }
            let a = state.attachments.remove(at: i)
            driver.detach(a, containerID: containerID, namespacePath: state.liveNamespacePath)
            try save(state)
            forget(containerID, a, in: PathText.parent(directory))
            removeHosts([ownHostsLine(a, of: containerID, directory: directory)], from: BundleFiles(directory: directory).hosts)
            return true
        }
    }

    /// Takes container `containerID` (ended, or ending) off its networks from the host's side: its veths, addresses,
    /// port rules and names go. Idempotent and cheap when there is nothing (one failed open).
    public static func release(containerID: String) {
        guard Files.exists(statePath(containerID)) else { return }
        _ = try? locked { (driver) throws(EstibaError) in
            // Re-read under the lock: another process may have released it since.
            guard let state = state(containerID) else { return }
            // Its namespace is normally gone with its process; one still alive (a process of it not yet ended) has
            // its interfaces removed inside it.
            let namespace = state.liveNamespacePath
            for a in state.attachments.reversed() {
                driver.detach(a, containerID: containerID, namespacePath: namespace)
                if !a.aliases.isEmpty { forget(containerID, a, in: PathText.parent(state.directory)) }
            }
            try? Files.remove(statePath(containerID))
        }
    }

    /// Releases the attachments of containers (and build steps) that are gone for good: their directory no longer
    /// exists (a store deleted without `rm`, a step's scratch space) and neither does their process.
    public static func releaseAbandoned() {
        let names = (try? FileDescriptor.open(stateDirectory, .directory).names()) ?? []
        // Records are written under the lock: a staged one found under it is a killed writer's.
        if names.contains(where: { $0.hasPrefix(".tmp-") }) {
            _ = try? locked { (_) throws(EstibaError) in
                for entry in (try? FileDescriptor.open(stateDirectory, .directory).names()) ?? [] where entry.hasPrefix(".tmp-") {
                    try? Files.remove(stateDirectory + "/" + entry)
                }
            }
        }
        for entry in names where entry.hasSuffix(".json") {
            let id = String(entry.dropLast(5))
            guard let s = state(id), !Files.exists(s.directory), s.pid <= 0 || !Processes.exists(s.pid) else { continue }
            release(containerID: id)
        }
        removeAbandonedBridges()
    }

    /// Records the bridge of user network `n` before an attachment may make it (under the attachments' lock).
    static func noteBridge(of n: Network) throws(EstibaError) {
        guard !n.isDefault, let file = n.file, isSafeName(n.id), !Files.exists(bridgePath(n.id)), case .object(var o) = n.json else { return }
        o.append("file", .string(file))
        do {
            try Files.makeDirectories(bridgesDirectory, permissions: 0o700)
            try AtomicFile.write(JSONValue.object(o).encodedPretty(), to: bridgePath(n.id), durable: false)
        } catch {
            throw EstibaError.runtime(cannot: "record network \(n.name)'s bridge in \(bridgesDirectory)", error, code: .io)
        }
    }

    /// Forgets the bridge of network `n` (`network rm` removed it).
    static func forgetBridge(of n: Network) {
        guard isSafeName(n.id) else { return }
        try? Files.remove(bridgePath(n.id))
    }

    /// The recorded bridges whose network is gone from its store (the file removed with its store, or holding
    /// another network now), with the network as it was.
    static func abandonedBridges() -> [Network] {
        let entries = ((try? FileDescriptor.open(bridgesDirectory, .directory).names()) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        return entries.compactMap { entry -> Network? in
            guard let v = (try? Files.read(bridgesDirectory + "/" + entry, upTo: 1 << 20)).flatMap({ try? JSONValue.parse($0) }),
                let n = Network(json: v), let file = v["file"]?.stringValue, entry == n.id + ".json",
                NetworkStore.read(file)?.id != n.id
            else { return nil }
            return n
        }
    }

    /// Removes the bridges, host rules and address directories of networks whose store is gone, once no container
    /// is attached to them any more (as `network rm` would have).
    static func removeAbandonedBridges() {
        guard !abandonedBridges().isEmpty else { return }
        _ = try? locked { (driver) throws(EstibaError) in
            let names = (try? FileDescriptor.open(stateDirectory, .directory).names()) ?? []
            let used = Set(names.filter { $0.hasSuffix(".json") }.flatMap { state(String($0.dropLast(5)))?.attachments.map(\.networkID) ?? [] })
            // Looked at again under the lock: an attachment may have made a bridge since.
            for n in abandonedBridges() where !used.contains(n.id) {
                driver.removeNetwork(n)
                forgetBridge(of: n)
            }
        }
    }

    /// The host ports of `ports`: a given one must be free on the host and unpublished by any other container (of
    /// any store); 0 gets a free one.
    static func choosePorts(_ ports: [PortMapping], except id: String) throws(EstibaError) -> [PortMapping] {
        if ports.isEmpty { return [] }
        var taken: [PortMapping] = []
        for entry in (try? FileDescriptor.open(stateDirectory, .directory).names()) ?? [] where entry.hasSuffix(".json") && entry != id + ".json" {
            for a in state(String(entry.dropLast(5)))?.attachments ?? [] { taken += a.ports }
        }
        var chosen: [PortMapping] = []
        for p in ports {
            let clash = (taken + chosen).first {
                $0.proto == p.proto && p.hostPort != 0 && $0.hostPort == p.hostPort && ($0.hostIP.isEmpty || p.hostIP.isEmpty || $0.hostIP == p.hostIP)
            }
            if let clash {
                throw EstibaError(.conflict, "Port \(clash.hostIP.isEmpty ? "0.0.0.0" : clash.hostIP):\(clash.hostPort)/\(clash.proto.rawValue) is already published by another container; publish another host port.", context: ["port": "\(p.hostPort)"])
            }
            var m = try p.withHostPort()
            // A port the kernel picked may be one another container publishes (it binds nothing): pick again.
            var tries = 0
            while p.hostPort == 0, tries < 64, (taken + chosen).contains(where: { $0.proto == m.proto && $0.hostPort == m.hostPort }) {
                m = try p.withHostPort()
                tries += 1
            }
            chosen.append(m)
        }
        return chosen
    }

    /// The names a container is found by on a user network (none on the default one, as with Docker).
    static func names(name: String, id: String, aliases: [String], network: Network) -> [String] {
        network.isDefault ? [] : [name, String(id.prefix(12))] + aliases.filter { $0 != name }
    }

    static func marker(_ id: String) -> String { "# estiba:" + String(id.prefix(12)) }

    static func hostsLine(_ a: NetworkAttachment, of id: String) -> String {
        "\(a.address)\t\(a.aliases.joined(separator: " "))\t\(marker(id))"
    }

    /// The container's own line: its address with its hostname (and its names on a user network).
    static func ownHostsLine(_ a: NetworkAttachment, of id: String, directory: String) -> String {
        let hostname = String(decoding: (try? Files.read(BundleFiles(directory: directory).hostname, upTo: 256)) ?? [], as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        let names = (hostname.isEmpty ? [] : [hostname]) + a.aliases.filter { $0 != hostname }
        return "\(a.address)\t\(names.joined(separator: " "))\t\(marker(id))"
    }

    /// Rewrites the container's hosts file for this start: the lines of an earlier start go, its own addresses
    /// (one line a network, in interface order) come after the loopback lines, its peers at the end.
    static func writeHosts(_ bundle: BundleFiles, own: [String], peers: [String]) {
        guard let text = try? Files.read(bundle.hosts) else { return }
        var lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.contains("\t# estiba:") }
        lines.insert(contentsOf: own, at: min(2, lines.count))
        rewrite(bundle.hosts, (lines + peers).map { $0 + "\n" }.joined())
    }

    /// Adds `a`'s names to the hosts files of the containers on its network; returns their lines for its own.
    static func announce(_ a: NetworkAttachment, of id: String, in containers: String) -> [String] {
        guard !a.aliases.isEmpty else { return [] }
        var peers: [String] = []
        for entry in (try? FileDescriptor.open(containers, .directory).names()) ?? [] where !entry.hasPrefix(".") && entry != id {
            for peer in attachments(of: entry) where peer.network == a.network && !peer.aliases.isEmpty {
                peers.append(hostsLine(peer, of: entry))
                appendHosts([hostsLine(a, of: id)], to: BundleFiles(directory: containers + "/" + entry).hosts)
            }
        }
        return peers
    }

    /// Removes a container's line for attachment `a` from the hosts files of its network's peers.
    static func forget(_ id: String, _ a: NetworkAttachment, in containers: String) {
        let line = hostsLine(a, of: id)
        for entry in (try? FileDescriptor.open(containers, .directory).names()) ?? [] where !entry.hasPrefix(".") && entry != id {
            guard attachments(of: entry).contains(where: { $0.network == a.network }) else { continue }
            removeHosts([line], from: BundleFiles(directory: containers + "/" + entry).hosts)
        }
    }

    /// Removes the lines equal to one of `lines` from the hosts file at `path` (rewritten only if one was there).
    static func removeHosts(_ lines: [String], from path: String) {
        guard let text = try? Files.read(path) else { return }
        let all = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let kept = all.filter { !lines.contains(String($0)) }
        guard kept.count != all.count else { return }
        rewrite(path, kept.joined(separator: "\n"))
    }

    static func appendHosts(_ lines: [String], to path: String) {
        guard !lines.isEmpty, let fd = try? FileDescriptor.open(path, [.writeOnly, .append, .noFollow]) else { return }
        try? fd.writeAll(lines.map { $0 + "\n" }.joined())
        fd.close()
    }

    /// In place (the container's /etc/hosts is a bind mount of this very file: a renamed copy would not be seen).
    static func rewrite(_ path: String, _ text: String) {
        guard let fd = try? FileDescriptor.open(path, [.writeOnly, .truncate, .noFollow]) else { return }
        try? fd.writeAll(text)
        fd.close()
    }
}
