import Runtime
import System

/// A network as `network ls` and `network inspect` show it, with the containers on it.
public struct NetworkInfo: Sendable {
    public struct Endpoint: Sendable {
        public var containerID: String
        public var name: String
        public var attachment: NetworkAttachment
    }

    public var network: Network
    public var containers: [Endpoint]
}

extension Engine {
    func networkStore() throws(EstibaError) -> NetworkStore { try NetworkStore(root: configuration.root) }

    /// Every network (the default one first) with the containers on it.
    public func networks() throws(EstibaError) -> [NetworkInfo] {
        let endpoints = try allEndpoints()
        return try networkStore().all().map { n in NetworkInfo(network: n, containers: endpoints.filter { $0.attachment.network == n.name }) }
    }

    /// The network `spec` names (name, ID or unique ID prefix).
    public func network(_ spec: String) throws(EstibaError) -> NetworkInfo {
        let n = try networkStore().find(spec)
        return NetworkInfo(network: n, containers: try allEndpoints().filter { $0.attachment.network == n.name })
    }

    /// `network create`.
    public func createNetwork(
        name: String, subnet: String? = nil, gateway: String? = nil, internal: Bool = false, labels: [String: String] = [:]
    ) throws(EstibaError) -> NetworkInfo {
        let n = try networkStore().create(name: name, subnet: subnet, gateway: gateway, internal: `internal`, labels: labels)
        return NetworkInfo(network: n, containers: [])
    }

    /// `network rm`: a network a container is on is refused (remove or disconnect the container first).
    public func removeNetworks(_ specs: [String]) throws(EstibaError) -> [String] {
        let store = try networkStore()
        let driver = try ContainerNetworking.driver()
        let records = try containerStore().all()
        var removed: [String] = []
        for spec in specs {
            let info = try network(spec)
            // Attached now, or to be at its next start.
            let user = info.containers.first?.name ?? records.first { $0.networkMode == info.network.name }?.name
            if let user {
                throw EstibaError(.conflict, "Network \(info.network.name) is in use by container \(user); remove the container or disconnect it first.", context: ["network": spec])
            }
            try store.remove(info.network, driver: driver)
            removed.append(spec)
        }
        return removed
    }

    /// `network prune`: removes the user networks no container is on or was created on; returns their names.
    public func pruneNetworks() throws(EstibaError) -> [String] {
        let modes = Set(try containerStore().all().map(\.networkMode))
        let unused = try networks().filter { !$0.network.isDefault && $0.containers.isEmpty && !modes.contains($0.network.name) }.map(\.network.name)
        return unused.isEmpty ? [] : try removeNetworks(unused)
    }

    /// `network connect`: the container gets an interface on `network` (and its names there).
    public func connect(network spec: String, container: String, aliases: [String] = []) throws(EstibaError) {
        let n = try networkStore().find(spec)
        let r = try record(container)
        guard !n.isDefault || aliases.isEmpty else {
            throw EstibaError(.invalidArgument, "--alias needs a user network (the default bridge has no name resolution).", context: ["network": spec])
        }
        _ = try ContainerNetworking.connect(
            directory: try containerStore().path(r.id), containerID: r.id, name: r.name, request: NetworkRequest(network: n, aliases: aliases))
    }

    /// `network disconnect`.
    public func disconnect(network spec: String, container: String) throws(EstibaError) {
        let n = try networkStore().find(spec)
        let r = try record(container)
        try ContainerNetworking.disconnect(directory: try containerStore().path(r.id), containerID: r.id, name: r.name, network: n.name)
    }

    /// The container's interfaces on its networks while it runs (none with `--network none` or `host`).
    public func containerNetworks(_ id: String) throws(EstibaError) -> [NetworkAttachment] {
        ContainerNetworking.attachments(of: id)
    }

    /// `port`: the ports the container publishes.
    public func ports(container spec: String) throws(EstibaError) -> [PortMapping] {
        let r = try record(spec)
        return try containerNetworks(r.id).flatMap(\.ports)
    }

    private func allEndpoints() throws(EstibaError) -> [NetworkInfo.Endpoint] {
        let store = try containerStore()
        return store.all().flatMap { r in
            ContainerNetworking.attachments(of: r.id).map { NetworkInfo.Endpoint(containerID: r.id, name: r.name, attachment: $0) }
        }
    }
}
