import Engine
import EstibaJSON
import System

extension DockerJSON {
    /// A network like Docker's `network inspect`.
    public static func network(_ info: NetworkInfo) -> JSONValue {
        let n = info.network
        let containers = info.containers.map { e -> (String, JSONValue) in
            (e.containerID, [
                "Name": .string(e.name), "EndpointID": "", "MacAddress": .string(e.attachment.mac),
                "IPv4Address": .string("\(e.attachment.address)/\(e.attachment.prefix)"), "IPv6Address": "",
            ])
        }
        return [
            "Name": .string(n.name), "Id": .string(n.id), "Created": .string(Timestamp(seconds: n.created).rfc3339), "Scope": "local",
            "Driver": "bridge", "EnableIPv6": false,
            "IPAM": ["Driver": "default", "Options": .null, "Config": [["Subnet": .string(n.subnet.description), "Gateway": .string(n.gateway.description)]]],
            "Internal": .bool(n.isInternal), "Attachable": false, "Ingress": false, "ConfigFrom": ["Network": ""], "ConfigOnly": false,
            "Containers": .object(JSONObject(containers)), "Options": ["com.docker.network.bridge.name": .string(n.bridge)],
            "Labels": .object(JSONObject(n.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
        ]
    }

    /// `port`'s lines: "80/tcp -> 127.0.0.1:18080".
    public static func portLines(_ ports: [PortMapping]) -> String {
        ports.map { "\($0.containerKey) -> \($0.hostIP.isEmpty ? "0.0.0.0" : $0.hostIP):\($0.hostPort)\n" }.joined()
    }
}
