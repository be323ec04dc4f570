import CLauncher
import EstibaJSON
import System

/// The network driver on the CNI plugins Debian ships (`containernetworking-plugins`, as containerd, nerdctl and
/// Kubernetes use them): `bridge` (veth pair on the network's bridge, the gateway on the bridge, hairpin) with
/// `host-local` addresses, then `portmap` for published ports (DNAT from every host address, 127.0.0.1 included,
/// and hairpin SNAT); the network's own rules (masquerade unless internal, isolation from other networks) are
/// `NetworkRules`. Plugins are run directly (no libcni): config on stdin, result on stdout. Addresses are kept in
/// /run (cleared at boot, as the bridges and rules are): the default network's bridge (estiba0) is shared by every
/// store on the host, so its addresses are allocated host-wide; a user network's in a directory of its own.
public struct CNIDriver: NetworkDriver {
    /// Where the plugins are looked for.
    public static let pluginDirectories = ["/usr/lib/cni", "/opt/cni/bin"]
    let pluginDirectory: String
    /// A lock the plugins inherit (as descriptor 3): held until the last of them exits, even when this process is
    /// killed while one runs, so that whoever releases the container next waits for it to finish.
    let heldLock: FileDescriptor?
    /// host-local's allocations (its `dataDir`): the default network's here, a user network's below, by its ID.
    public static let sharedStateDirectory = "/run/estiba/ipam"

    public init(holding lock: FileDescriptor? = nil) throws(EstibaError) {
        guard let dir = Self.pluginDirectories.first(where: { Files.exists($0 + "/bridge") && Files.exists($0 + "/host-local") }) else {
            throw EstibaError(.failedPrecondition, "The CNI plugins are not installed (bridge, host-local, portmap in /usr/lib/cni); install them with apt-get install containernetworking-plugins, or use --network none or host.")
        }
        pluginDirectory = dir
        heldLock = lock
    }

    static let version = "1.0.0"

    /// host-local's `dataDir` for network `n`.
    public static func addressDirectory(_ n: Network) -> String {
        n.isDefault ? sharedStateDirectory : sharedStateDirectory + "/" + n.id
    }

    func bridgeConfig(_ n: Network) -> JSONValue {
        var ipam: JSONObject = [
            "type": "host-local", "ranges": [[["subnet": .string(n.subnet.description), "gateway": .string(n.gateway.description)]]],
            "dataDir": .string(Self.addressDirectory(n)),
        ]
        if !n.isInternal { ipam.append("routes", [["dst": "0.0.0.0/0"]]) }
        return [
            "cniVersion": .string(Self.version), "name": .string("estiba-" + n.name), "type": "bridge", "bridge": .string(n.bridge),
            "isGateway": true, "ipMasq": false, "hairpinMode": true, "ipam": .object(ipam),
        ]
    }

    func portmapConfig(name: String, ports: [PortMapping], previous: JSONValue?) -> JSONValue {
        let mappings: [JSONValue] = ports.map {
            ["hostPort": .int(Int64($0.hostPort)), "containerPort": .int(Int64($0.containerPort)), "protocol": .string($0.proto.rawValue), "hostIP": .string($0.hostIP)]
        }
        var o: JSONObject = [
            "cniVersion": .string(Self.version), "name": .string(name), "type": "portmap", "snat": true,
            "capabilities": ["portMappings": true], "runtimeConfig": ["portMappings": .array(mappings)],
        ]
        if let previous { o.append("prevResult", previous) }
        return .object(o)
    }

    public func planned(_ r: NetworkAttachRequest) -> NetworkAttachment {
        var a = NetworkAttachment(
            network: r.network.name, networkID: r.network.id, interface: r.interface, address: IPv4(0), prefix: 0, gateway: r.network.gateway, mac: "")
        a.ports = r.ports
        a.driverState = ["bridge": bridgeConfig(r.network)]
        a.pending = true
        return a
    }

    public func attach(_ r: NetworkAttachRequest) throws(EstibaError) -> NetworkAttachment {
        let bridge = bridgeConfig(r.network)
        // A new bridge (first use, or after a reboot) gets the network's host rules — unless the host already routes
        // part of its subnet elsewhere (another store's network made meanwhile, or a new host route): a second
        // bridge there would take the host's traffic for it.
        if !Files.exists("/sys/class/net/" + r.network.bridge) {
            if let clash = HostRoutes.subnets().first(where: { $0.subnet.overlaps(r.network.subnet) }) {
                throw EstibaError(
                    .conflict,
                    "Network \(r.network.name)'s subnet \(r.network.subnet) overlaps the host's route to \(clash.subnet) (\(clash.interface)); remove the network and create it again with another --subnet.",
                    context: ["network": r.network.name, "stage": "network"])
            }
            NetworkRules.ensure(r.network)
        }
        let result = try invoke(bridge, "ADD", r.containerID, r.namespacePath, r.interface)
        var a = NetworkAttachment(
            network: r.network.name, networkID: r.network.id, interface: r.interface, address: IPv4(0), prefix: 0, gateway: r.network.gateway, mac: "")
        a.driverState = ["bridge": bridge, "result": result]
        a.ports = r.ports
        guard let ip = result["ips"]?.arrayValue?.first, let cidr = ip["address"]?.stringValue, let slash = cidr.firstIndex(of: "/"),
            let address = IPv4(String(cidr[..<slash])), let prefix = Int(cidr[cidr.index(after: slash)...])
        else {
            detach(a, containerID: r.containerID, namespacePath: r.namespacePath)
            throw EstibaError(.internal, "The CNI bridge plugin gave no address for the container.", context: ["network": r.network.name])
        }
        a.address = address
        a.prefix = prefix
        a.mac = result["interfaces"]?.arrayValue?.first(where: { $0["sandbox"] != nil })?["mac"]?.stringValue ?? ""
        if !r.ports.isEmpty {
            do { _ = try invoke(portmapConfig(name: "estiba-" + r.network.name, ports: r.ports, previous: result), "ADD", r.containerID, r.namespacePath, r.interface) } catch {
                detach(a, containerID: r.containerID, namespacePath: r.namespacePath)
                throw error
            }
        }
        return a
    }

    public func detach(_ a: NetworkAttachment, containerID: String, namespacePath: String?) {
        guard let bridge = a.driverState["bridge"], case .object = bridge, let name = bridge["name"]?.stringValue else { return }
        // The port rules are found by the container's ID: removed directly when they are where portmap put them,
        // else (or if that fails) by portmap's own DEL, which looks for them in both address families.
        if !a.ports.isEmpty, !PortRules.remove(containerID: containerID) {
            _ = try? invoke(portmapConfig(name: name, ports: a.ports, previous: a.driverState["result"]), "DEL", containerID, namespacePath ?? "", a.interface)
        }
        if let namespacePath {
            _ = try? invoke(bridge, "DEL", containerID, namespacePath, a.interface)
            return
        }
        // The container has ended: its namespace went with its last process, and the kernel destroys the veth pair
        // with it (in the background; deleting the pair here would wait some 15 ms for it). Its host side is taken
        // down now, so the bridge forwards nothing to or from the old address before that is given to another.
        let interfaces = a.driverState["result"]?["interfaces"]?.arrayValue ?? []
        for veth in interfaces.compactMap({ $0["sandbox"] == nil ? $0["name"]?.stringValue : nil }) where veth.hasPrefix("veth") {
            _ = veth.withCString { estiba_link_set_down($0) }
        }
        // With no namespace, the bridge plugin's DEL comes down to its address plugin's: the address is released
        // directly where host-local keeps it, else by host-local's own DEL.
        if let dataDir = bridge["ipam"]?["dataDir"]?.stringValue, a.address.value != 0,
            HostLocalAddresses.release(a.address, directory: dataDir + "/" + name, containerID: containerID, interface: a.interface)
        {
            return
        }
        if let ipam = bridge["ipam"], case .object(var o) = ipam {
            o.append("cniVersion", .string(Self.version))
            o.append("name", .string(name))
            o.append("ipam", ipam)
            _ = try? invoke(.object(o), "DEL", containerID, "", a.interface)
        }
    }

    public func removeNetwork(_ network: Network) {
        NetworkRules.remove(network)
        _ = network.bridge.withCString { estiba_link_delete($0) }
        if !network.isDefault { try? Files.removeTree(Self.addressDirectory(network)) }
    }

    /// Runs one plugin: its JSON result (an error from the plugin is an error here, with its message).
    func invoke(_ config: JSONValue, _ command: String, _ containerID: String, _ netns: String, _ interface: String) throws(EstibaError) -> JSONValue {
        let type = config["type"]?.stringValue ?? ""
        // A plugin given a namespace configures the interface named `interface` in it: never the host's own.
        if !netns.isEmpty, NamespaceIdentity.isHosts(netns) {
            throw EstibaError(.internal, "The container's network namespace is the host's; its network was left alone.", context: ["stage": "network"])
        }
        let environment = [
            "CNI_COMMAND=" + command, "CNI_CONTAINERID=" + containerID, "CNI_NETNS=" + netns, "CNI_IFNAME=" + interface,
            "CNI_PATH=" + pluginDirectory, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let output = try Command.run(pluginDirectory + "/" + type, [type], input: config.encoded(), environment: environment, inheriting: heldLock)
        let answer = try? JSONValue.parse(output.stdout)
        guard output.status == 0 else {
            let why = answer?["msg"]?.stringValue.map { m in m + (answer?["details"]?.stringValue.map { ": " + $0 } ?? "") }
                ?? String(decoding: output.stdout, as: UTF8.self)
            throw EstibaError(.unavailable, "The CNI \(type) plugin failed to \(command == "ADD" ? "attach" : "detach") the container: \(why)", context: ["stage": "network"])
        }
        return answer ?? .null
    }
}

/// The host's rules for a network, made with its bridge (and again after a reboot, when the bridge is new):
/// masquerade of its subnet's traffic out (one rule per network, as Docker does, rather than the bridge plugin's
/// chain per container), and the isolation of user networks from each other (Docker's two-stage chains: traffic
/// from one Estiba bridge out of another is dropped).
enum NetworkRules {
    static let stage1 = "ESTIBA-ISOLATION-1", stage2 = "ESTIBA-ISOLATION-2"
    static let iptables = "/usr/sbin/iptables"

    static func ipt(_ args: [String]) -> Bool { (try? Command.run(iptables, ["iptables", "-w"] + args))?.status == 0 }

    static func rules(_ n: Network) -> [(table: String, chain: String, rule: [String])] {
        var r: [(String, String, [String])] = [
            ("filter", stage1, ["-i", n.bridge, "!", "-o", n.bridge, "-j", stage2]),
            ("filter", stage2, ["-o", n.bridge, "-j", "DROP"]),
        ]
        if !n.isInternal {
            r.append(("nat", "POSTROUTING", ["-s", n.subnet.description, "!", "-o", n.bridge, "-m", "comment", "--comment", "estiba " + n.name, "-j", "MASQUERADE"]))
        }
        return r
    }

    static func ensure(_ n: Network) {
        for chain in [stage1, stage2] where !ipt(["-n", "-L", chain]) { _ = ipt(["-N", chain]) }
        if !ipt(["-C", "FORWARD", "-j", stage1]) { _ = ipt(["-I", "FORWARD", "-j", stage1]) }
        for (table, chain, rule) in rules(n) where !ipt(["-t", table, "-C", chain] + rule) {
            _ = ipt(["-t", table, "-A", chain] + rule)
        }
    }

    static func remove(_ n: Network) {
        for (table, chain, rule) in rules(n) { while ipt(["-t", table, "-D", chain] + rule) {} }
    }
}

/// The port rules portmap made for a container, removed in one `iptables-restore` instead of portmap's DEL (which
/// lists and deletes in IPv4 and IPv6, some twenty iptables runs): its jump from `CNI-HOSTPORT-DNAT`, which names
/// the container's ID in its comment, and the chain it jumps to (`CNI-DN-…`, the container's DNAT and hairpin
/// rules).
enum PortRules {
    static let topChain = "CNI-HOSTPORT-DNAT"

    /// True when they are gone now: removed, or there were none (nothing names the container).
    static func remove(containerID: String) -> Bool {
        guard let listed = try? Command.run(NetworkRules.iptables, ["iptables", "-w", "-t", "nat", "-S", topChain]), listed.status == 0 else { return false }
        let mark = "id: \\\"" + containerID + "\\\""
        let jumps = String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("-A " + topChain + " ") && $0.contains(mark) }
        guard !jumps.isEmpty else { return true }
        var chains: [String] = []
        for rule in jumps {
            let words = rule.split(separator: " ")
            if let j = words.firstIndex(of: "-j"), j + 1 < words.count, words[j + 1].hasPrefix("CNI-DN-"), !chains.contains(String(words[j + 1])) {
                chains.append(String(words[j + 1]))
            }
        }
        let script = ["*nat"] + jumps.map { "-D" + $0.dropFirst(2) } + chains.map { "-F " + $0 } + chains.map { "-X " + $0 } + ["COMMIT", ""]
        let restored = try? Command.run("/usr/sbin/iptables-restore", ["iptables-restore", "-w", "--noflush"], input: Array(script.joined(separator: "\n").utf8))
        return restored?.status == 0
    }
}

/// host-local's allocations, as its DEL releases them: in its data directory's network directory, a file named for
/// the address holding the container's ID and interface, changed under an flock of `lock` there.
enum HostLocalAddresses {
    /// True when `address`'s file named this container and is gone now; false when it was not there or named
    /// something else (then host-local's own DEL decides).
    static func release(_ address: IPv4, directory: String, containerID: String, interface: String) -> Bool {
        guard let lock = try? FileDescriptor.open(directory + "/lock", [.readWrite, .noFollow]) else { return false }
        defer { lock.close() }
        guard (try? lock.lock(exclusive: true)) == true else { return false }
        let file = directory + "/" + address.description
        guard let bytes = try? Files.read(file, upTo: 512) else { return false }
        let owner = String(decoding: bytes, as: UTF8.self)
        guard owner == containerID + "\r\n" + interface || owner == containerID else { return false }
        return (try? Files.remove(file)) != nil
    }
}

/// A helper program run to its end: its exit status and standard output.
enum Command {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
    }

    static func run(
        _ executable: String, _ arguments: [String], input: [UInt8] = [], environment: [String]? = nil, inheriting extra: FileDescriptor? = nil
    ) throws(EstibaError) -> Output {
        // Its stdin is a socket: a program that exits without reading fails our send with EPIPE, never SIGPIPE.
        let stdin = try SocketPair()
        let stdout = try Pipe()
        var spawn = Spawn(executable: executable, arguments: arguments, environment: environment ?? ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.descriptors = [0: .copy(stdin.second), 1: .copy(stdout.writeEnd), 2: .nullDevice(writable: true)]
        if let extra { spawn.descriptors[3] = .copy(extra) }
        spawn.closeOtherDescriptors = true
        let pid: Int32
        do { pid = try spawn.start() } catch {
            throw EstibaError(.failedPrecondition, "Cannot run \(executable): \(error.reason). Install it (containernetworking-plugins, iptables, iproute2).", context: ["stage": "network"])
        }
        stdin.second.close()
        stdout.writeEnd.close()
        if !input.isEmpty { try? stdin.first.send(input) }
        stdin.first.close()
        let bytes = (try? stdout.readEnd.readAll(upTo: 1 << 20)) ?? []
        stdout.readEnd.close()
        let status = try Processes.wait(for: pid)
        return Output(status: status.exitCode, stdout: bytes)
    }
}
