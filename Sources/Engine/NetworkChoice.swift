import Runtime
import System

/// The network a `run` or `create` asked for: the namespace kind, and on a bridge network what to attach.
struct NetworkChoice: Sendable {
    var mode: NetworkMode
    var request: NetworkRequest?
}

extension Engine {
    /// Checks `o`'s network options and resolves its network (an unknown one, a malformed `-p`, ports or aliases
    /// without a bridge network are one clear error, before anything is made).
    func networkChoice(_ o: RunOptions, exposed: [String]) throws(EstibaError) -> NetworkChoice {
        var ports: [PortMapping] = []
        for spec in o.publish { ports += try PortMapping.parse(spec) }
        if o.publishAll {
            for entry in exposed {
                guard let p = PortMapping.exposed(entry), !ports.contains(where: { $0.containerKey == p.containerKey }) else { continue }
                ports.append(p)
            }
        }
        for h in o.extraHosts {
            let parts = h.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1] == "host-gateway" || IPv4(parts[1]) != nil || parts[1].contains(":") else {
                throw EstibaError(.invalidArgument, "Invalid --add-host \"\(h)\": use NAME:IP.", context: ["host": h])
            }
        }
        for d in o.dns where IPv4(d) == nil && !d.contains(":") {
            throw EstibaError(.invalidArgument, "Invalid --dns \"\(d)\": give a name server's IP address.", context: ["dns": d])
        }
        switch o.network {
        case "none", "host":
            guard ports.isEmpty else {
                throw EstibaError(.invalidArgument, "Ports cannot be published with --network \(o.network); drop -p/-P or use a bridge network.")
            }
            guard o.networkAliases.isEmpty else {
                throw EstibaError(.invalidArgument, "--network-alias needs a user network; drop it or use --network NAME.")
            }
            return NetworkChoice(mode: o.network == "host" ? .host : .none)
        default:
            let network = try NetworkStore(root: configuration.root).find(o.network)
            if network.isDefault, !o.networkAliases.isEmpty {
                throw EstibaError(.invalidArgument, "--network-alias needs a user network (the default bridge has no name resolution, as with Docker); create one with estiba network create.")
            }
            return NetworkChoice(mode: .bridge, request: NetworkRequest(network: network, ports: ports, aliases: o.networkAliases))
        }
    }
}
