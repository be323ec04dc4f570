import CLIOutput
import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// Networks: list, create, remove, connect and disconnect containers.
    static let networkMethods: [ServiceMethod] = [
        ServiceMethod("networks", params: []) { service, _ throws(RPCError) in
            return task { () async throws(EstibaError) -> JSONValue in
                ["networks": .array(try service.engine.networks().map(DockerJSON.network))]
            }
        },
        ServiceMethod("networkCreate", params: ["name", "subnet", "gateway", "internal", "labels"]) { service, p throws(RPCError) in
            let name = try p.requiredString("name")
            let subnet = try p.string("subnet")
            let gateway = try p.string("gateway")
            let isInternal = try p.bool("internal") ?? false
            let labels = try p.stringMap("labels") ?? [:]
            return task { () async throws(EstibaError) -> JSONValue in
                DockerJSON.network(try service.engine.createNetwork(name: name, subnet: subnet, gateway: gateway, internal: isInternal, labels: labels))
            }
        },
        ServiceMethod("networkRemove", params: ["names"]) { service, p throws(RPCError) in
            let names = try p.references("names", "network")
            return task { () async throws(EstibaError) -> JSONValue in ["removed": JSONValue(try service.engine.removeNetworks(names))] }
        },
        ServiceMethod("networkConnect", params: ["network", "container", "aliases"]) { service, p throws(RPCError) in
            let network = try p.requiredString("network")
            let container = try p.requiredString("container")
            let aliases = try p.strings("aliases") ?? []
            return task { () async throws(EstibaError) -> JSONValue in
                try service.engine.connect(network: network, container: container, aliases: aliases)
                return [:]
            }
        },
        ServiceMethod("networkDisconnect", params: ["network", "container"]) { service, p throws(RPCError) in
            let network = try p.requiredString("network")
            let container = try p.requiredString("container")
            return task { () async throws(EstibaError) -> JSONValue in
                try service.engine.disconnect(network: network, container: container)
                return [:]
            }
        },
    ]
}
