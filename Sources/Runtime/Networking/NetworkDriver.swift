import EstibaJSON
import System

/// What a container's interface on a network is to be.
public struct NetworkAttachRequest: Sendable {
    public var containerID: String
    /// The container's network namespace: `/proc/PID/ns/net` of its process, which waits to start.
    public var namespacePath: String
    /// The interface's name inside the container ("eth0", "eth1"…).
    public var interface: String
    public var network: Network
    /// Published ports (host ports already chosen).
    public var ports: [PortMapping]

    public init(containerID: String, namespacePath: String, interface: String, network: Network, ports: [PortMapping]) {
        self.containerID = containerID
        self.namespacePath = namespacePath
        self.interface = interface
        self.network = network
        self.ports = ports
    }
}

/// A container's interface on a network, as the driver made it.
public struct NetworkAttachment: Sendable, Equatable {
    public var network: String
    public var networkID: String
    public var interface: String
    public var address: IPv4
    public var prefix: Int
    public var gateway: IPv4
    public var mac: String
    public var ports: [PortMapping] = []
    /// Names other containers of a user network find it by (its name, `--network-alias`).
    public var aliases: [String] = []
    /// What the driver needs to undo it.
    public var driverState: JSONValue = .null
    /// Recorded before the driver makes it (see `NetworkDriver.planned`): undone, never shown.
    public var pending = false

    public init(network: String, networkID: String, interface: String, address: IPv4, prefix: Int, gateway: IPv4, mac: String) {
        self.network = network
        self.networkID = networkID
        self.interface = interface
        self.address = address
        self.prefix = prefix
        self.gateway = gateway
        self.mac = mac
    }

    public var json: JSONValue {
        let ports: [JSONValue] = self.ports.map(\.json)
        return [
            "network": .string(network), "networkID": .string(networkID), "interface": .string(interface), "address": .string(address.description),
            "prefix": .int(Int64(prefix)), "gateway": .string(gateway.description), "mac": .string(mac), "ports": .array(ports),
            "aliases": JSONValue(aliases), "driverState": driverState, "pending": .bool(pending),
        ]
    }

    public init?(json v: JSONValue) {
        guard let network = v["network"]?.stringValue, let interface = v["interface"]?.stringValue,
            let address = v["address"]?.stringValue.flatMap(IPv4.init), let gateway = v["gateway"]?.stringValue.flatMap(IPv4.init),
            let prefix = v["prefix"]?.intValue.flatMap({ Int(exactly: $0) })
        else { return nil }
        self.init(network: network, networkID: v["networkID"]?.stringValue ?? "", interface: interface, address: address, prefix: prefix, gateway: gateway, mac: v["mac"]?.stringValue ?? "")
        ports = (v["ports"]?.arrayValue ?? []).compactMap(PortMapping.init(json:))
        aliases = v["aliases"]?.arrayValue?.compactMap(\.stringValue) ?? []
        driverState = v["driverState"] ?? .null
        pending = v["pending"]?.boolValue ?? false
    }
}

/// The one door to the host's networking: puts a container's namespace on a network (an interface with an address,
/// routes, NAT, published ports) and takes it off again. `CNIDriver` is the one Estiba uses; another (netavark)
/// could take its place behind this protocol.
public protocol NetworkDriver: Sendable {
    /// What `attach` is about to make, with what undoing it needs, recorded first: a process killed during the
    /// attach leaves a record that `detach` undoes.
    func planned(_ request: NetworkAttachRequest) -> NetworkAttachment
    func attach(_ request: NetworkAttachRequest) throws(EstibaError) -> NetworkAttachment
    /// Undoes `attach` (or what a `planned` one may have made), best effort and idempotent. `namespacePath` nil:
    /// the container has ended (its namespace is gone or going); everything is undone from the host's side.
    func detach(_ attachment: NetworkAttachment, containerID: String, namespacePath: String?)
    /// Removes what the network left on the host once no container uses it (its bridge, its rules, its addresses).
    func removeNetwork(_ network: Network)
}
