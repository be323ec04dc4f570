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

    /// `network rm`: a network a container is on, or is connected to for its next start, is refused (remove or
    /// disconnect the container first).
    public func removeNetworks(_ specs: [String]) throws(EstibaError) -> [String] {
        let store = try networkStore()
        let driver = try ContainerNetworking.driver()
        let records = try containerStore().all()
        var removed: [String] = []
        for spec in specs {
            let info = try network(spec)
            let name = info.network.name
            let user = info.containers.first?.name ?? records.first { $0.networks.contains { $0.network == name } }?.name
            if let user {
                throw EstibaError(.conflict, "Network \(name) is in use by container \(user); remove the container or disconnect it first.", context: ["network": spec])
            }
            try store.remove(info.network, driver: driver)
            removed.append(spec)
        }
        return removed
    }

    /// `network prune`: removes the user networks no container is on or connected to; returns their names.
    public func pruneNetworks() throws(EstibaError) -> [String] {
        let used = Set(try containerStore().all().flatMap { $0.networks.map(\.network) })
        let unused = try networks().filter { !$0.network.isDefault && $0.containers.isEmpty && !used.contains($0.network.name) }.map(\.network.name)
        return unused.isEmpty ? [] : try removeNetworks(unused)
    }

    /// `network connect`, as Docker's, in any state: the network is added to the container's record (attached at
    /// every start after its first network, with `aliases`) and, while it runs, attached at once as its next
    /// interface (eth1, …).
    public func connect(network spec: String, container: String, aliases: [String] = []) throws(EstibaError) {
        let n = try networkStore().find(spec)
        let store = try containerStore()
        let r = try record(container)
        guard !["none", "host"].contains(r.networkMode) else {
            throw EstibaError(.conflict, "Container \(r.name) uses network mode \(r.networkMode), which cannot be combined with other networks; create it on a bridge or user network (--network) to connect it to others.", context: ["container": container, "network": spec])
        }
        guard !n.isDefault || aliases.isEmpty else {
            throw EstibaError(.invalidArgument, "--alias needs a user network (the default bridge has no name resolution).", context: ["network": spec])
        }
        guard !r.networks.contains(where: { $0.network == n.name }) else {
            throw EstibaError(.alreadyExists, "Container \(r.name) is already connected to network \(n.name).", context: ["container": container, "network": spec])
        }
        let directory = store.path(r.id)
        let attached = try ContainerNetworking.connect(directory: directory, containerID: r.id, name: r.name, request: NetworkRequest(network: n, aliases: aliases))
        // Read again: the container may have ended (and its end been recorded) meanwhile.
        var current = store.record(r.id) ?? r
        current.connectedNetworks.append(NetworkConnection(network: n.name, aliases: aliases))
        do { try store.save(current) } catch {
            if attached != nil { _ = try? ContainerNetworking.disconnect(directory: directory, containerID: r.id, network: n.name) }
            throw error
        }
    }

    /// `network disconnect`, in any state: the network leaves the container's record (and its interface there goes
    /// at once while it runs). The network it was created on may go too (its mode stays, as Docker's does): the
    /// connected ones are attached in order from eth0, and with none left it starts with loopback only and can be
    /// connected again.
    public func disconnect(network spec: String, container: String) throws(EstibaError) {
        let n = try networkStore().find(spec)
        let store = try containerStore()
        let r = try record(container)
        let attached = ContainerNetworking.attachments(of: r.id).contains { $0.network == n.name }
        guard attached || r.networks.contains(where: { $0.network == n.name }) else {
            throw EstibaError(.notFound, "Container \(r.name) is not connected to network \(n.name).", context: ["container": container, "network": spec])
        }
        if attached { try ContainerNetworking.disconnect(directory: store.path(r.id), containerID: r.id, network: n.name) }
        guard let stored = store.record(r.id) else { return }
        var current = stored
        if current.networkMode == n.name, !current.modeNetworkDisconnected {
            current.modeNetworkDisconnected = true
            current.networkAliases = []
        } else {
            current.connectedNetworks.removeAll { $0.network == n.name }
        }
        if current != stored { try store.save(current) }
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
