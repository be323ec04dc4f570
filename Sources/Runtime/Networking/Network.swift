import EstibaJSON
import System

/// A network containers attach to: a Linux bridge with a subnet. `bridge` (the default network, on `estiba0`) is
/// built in; user networks (`network create`) are kept in `networks/<name>.json` under the store root.
public struct Network: Sendable, Equatable {
    public var name: String
    public var id: String
    public var subnet: IPv4Subnet
    public var gateway: IPv4
    /// The host's bridge device.
    public var bridge: String
    /// No route out (`--internal`): only the network's own containers and the host are reachable.
    public var isInternal: Bool
    public var created: Int64
    public var labels: [String: String] = [:]
    /// The file a user network was read from (`networks/<name>.json`; not stored in it): the host's record of the
    /// bridges it made names it, so that the bridge of a network whose store is deleted goes too.
    public var file: String?

    /// The default network's name, as Docker calls it.
    public static let defaultName = "bridge"
    /// The default network's subnet: a private range that Docker (172.17/16 and up), podman (10.88/16, 10.89/16…)
    /// and Kubernetes' usual pod ranges leave alone.
    public static let defaultSubnet = IPv4Subnet(address: IPv4(0x0AD3_0000), prefix: 16)  // 10.211.0.0/16
    /// User networks get a /24 each from 10.212.0.0/16 onwards unless `--subnet` says otherwise.
    static let userRangeStart = IPv4(0x0AD4_0000)  // 10.212.0.0

    public static let defaultNetwork = Network(
        name: defaultName, id: String(repeating: "0", count: 64), subnet: defaultSubnet, gateway: defaultSubnet.firstHost,
        bridge: "estiba0", isInternal: false, created: 0)

    public var isDefault: Bool { name == Self.defaultName }

    public var json: JSONValue {
        var o: JSONObject = [
            "name": .string(name), "id": .string(id), "subnet": .string(subnet.description), "gateway": .string(gateway.description),
            "bridge": .string(bridge), "internal": .bool(isInternal), "created": .int(created),
        ]
        if !labels.isEmpty { o.append("labels", .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))) }
        return .object(o)
    }

    public init(name: String, id: String, subnet: IPv4Subnet, gateway: IPv4, bridge: String, isInternal: Bool, created: Int64) {
        self.name = name
        self.id = id
        self.subnet = subnet
        self.gateway = gateway
        self.bridge = bridge
        self.isInternal = isInternal
        self.created = created
    }

    public init?(json v: JSONValue) {
        guard let name = v["name"]?.stringValue, let id = v["id"]?.stringValue, let subnet = v["subnet"]?.stringValue.flatMap(IPv4Subnet.init),
            let gateway = v["gateway"]?.stringValue.flatMap(IPv4.init), let bridge = v["bridge"]?.stringValue
        else { return nil }
        self.init(name: name, id: id, subnet: subnet, gateway: gateway, bridge: bridge, isInternal: v["internal"]?.boolValue ?? false, created: v["created"]?.intValue ?? 0)
        for (k, value) in v["labels"]?.objectValue ?? [:] { if let s = value.stringValue { labels[k] = s } }
    }
}
