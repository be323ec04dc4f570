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

/// A container's networking on a bridge network: its namespace (`containers/<id>/netns`, which it joins at every
/// start), its attachments (`network.json`), and the names of its user networks' peers in its hosts file (and its
/// own in theirs), which is how containers find each other by name and alias. Everything made here is undone by
/// `release`, which removal and recovery call.
public enum ContainerNetworking {
    public static func namespacePath(_ directory: String) -> String { directory + "/netns" }
    static func recordPath(_ directory: String) -> String { directory + "/network.json" }

    /// The driver Estiba uses (the one place that chooses it).
    public static func driver(root: String) throws(EstibaError) -> NetworkDriver {
        try CNIDriver(stateDirectory: NetworkStore(root: root).driverState)
    }

    /// The container's attachments (none when it is on no bridge network).
    public static func attachments(_ directory: String) -> [NetworkAttachment] {
        guard let v = (try? Files.read(recordPath(directory))).flatMap({ try? JSONValue.parse($0) }) else { return [] }
        return (v["attachments"]?.arrayValue ?? []).compactMap(NetworkAttachment.init(json:))
    }

    static func save(_ attachments: [NetworkAttachment], _ directory: String, containerID: String) throws(EstibaError) {
        let doc: JSONValue = ["containerID": .string(containerID), "attachments": .array(attachments.map(\.json))]
        do { try AtomicFile.write(doc.encodedPretty(), to: recordPath(directory), durable: false) } catch { throw error.recoded(.io) }
    }

    /// Creates the container's namespace and attaches it to `request`'s network (host ports chosen and checked
    /// first). On failure nothing is left. Returns the attachment and the hosts lines of its peers.
    public static func setUp(
        root: String, directory: String, containerID: String, name: String, request: NetworkRequest
    ) throws(EstibaError) -> (attachment: NetworkAttachment, peers: [String]) {
        let driver = try driver(root: root)
        let store = try NetworkStore(root: root)
        let netns = namespacePath(directory)
        try NetworkNamespace.create(at: netns)
        do throws(EstibaError) {
            return try store.locked { () throws(EstibaError) in
                let ports = try choosePorts(request.ports, containers: PathText.parent(directory), except: containerID)
                var attachment = try driver.attach(
                    NetworkAttachRequest(containerID: containerID, namespacePath: netns, interface: "eth0", network: request.network, ports: ports))
                attachment.aliases = names(name: name, id: containerID, aliases: request.aliases, network: request.network)
                do throws(EstibaError) { try save([attachment], directory, containerID: containerID) } catch {
                    driver.detach(attachment, containerID: containerID, namespacePath: netns, namespaceGoes: false)
                    throw error
                }
                return (attachment, announce(attachment, of: containerID, in: PathText.parent(directory)))
            }
        } catch {
            NetworkNamespace.remove(at: netns)
            throw error
        }
    }

    /// Attaches the new network namespace of process `pid` (a build step's, waiting to start) to `request`'s
    /// network; `directory` keeps the record `release` undoes it by. Nothing is mounted on the host.
    public static func attach(root: String, directory: String, containerID: String, pid: Int32, request: NetworkRequest) throws(EstibaError) {
        let driver = try driver(root: root)
        let netns = "/proc/\(pid)/ns/net"
        let attachment = try driver.attach(
            NetworkAttachRequest(containerID: containerID, namespacePath: netns, interface: "eth0", network: request.network, ports: []))
        do throws(EstibaError) { try save([attachment], directory, containerID: containerID) } catch {
            driver.detach(attachment, containerID: containerID, namespacePath: netns, namespaceGoes: false)
            throw error
        }
    }

    /// `network connect`: one more interface (eth1, …) on `request`'s network.
    public static func connect(root: String, directory: String, containerID: String, name: String, request: NetworkRequest) throws(EstibaError) -> NetworkAttachment {
        let driver = try driver(root: root)
        let store = try NetworkStore(root: root)
        let netns = namespacePath(directory)
        guard Files.exists(netns) else {
            throw EstibaError(.failedPrecondition, "Container \(name) is not on a bridge network (--network none or host); it cannot be connected to another.", context: ["container": name])
        }
        return try store.locked { () throws(EstibaError) -> NetworkAttachment in
            var all = attachments(directory)
            if all.contains(where: { $0.network == request.network.name }) {
                throw EstibaError(.alreadyExists, "Container \(name) is already connected to network \(request.network.name).", context: ["container": name])
            }
            let used = Set(all.map(\.interface))
            let interface = (0..<64).map { "eth\($0)" }.first { !used.contains($0) } ?? "eth64"
            var a = try driver.attach(NetworkAttachRequest(containerID: containerID, namespacePath: netns, interface: interface, network: request.network, ports: []))
            a.aliases = names(name: name, id: containerID, aliases: request.aliases, network: request.network)
            all.append(a)
            do throws(EstibaError) { try save(all, directory, containerID: containerID) } catch {
                driver.detach(a, containerID: containerID, namespacePath: netns, namespaceGoes: false)
                throw error
            }
            let peers = announce(a, of: containerID, in: PathText.parent(directory))
            appendHosts(peers, to: BundleFiles(directory: directory).hosts)
            return a
        }
    }

    /// `network disconnect`.
    public static func disconnect(root: String, directory: String, containerID: String, name: String, network: String) throws(EstibaError) {
        let driver = try driver(root: root)
        let store = try NetworkStore(root: root)
        try store.locked { () throws(EstibaError) in
            var all = attachments(directory)
            guard let i = all.firstIndex(where: { $0.network == network }) else {
                throw EstibaError(.notFound, "Container \(name) is not connected to network \(network).", context: ["container": name])
            }
            let a = all.remove(at: i)
            driver.detach(a, containerID: containerID, namespacePath: namespacePath(directory), namespaceGoes: false)
            try save(all, directory, containerID: containerID)
            forget(containerID, network: network, in: PathText.parent(directory))
        }
    }

    /// Takes the container off its networks and removes its namespace (best effort; nothing there is fine). The ID
    /// the attachments were made for is the one `network.json` names when `containerID` is nil.
    public static func release(root: String, directory: String, containerID: String?) {
        let netns = namespacePath(directory)
        let all = attachments(directory)
        guard !all.isEmpty || Files.exists(netns) else { return }
        let recorded = (try? Files.read(recordPath(directory))).flatMap { try? JSONValue.parse($0) }?["containerID"]?.stringValue
        let containerID = recorded ?? containerID ?? ""
        if let driver = try? driver(root: root), let store = try? NetworkStore(root: root) {
            _ = try? store.locked { () throws(EstibaError) in
                for a in all.reversed() {
                    driver.detach(a, containerID: containerID, namespacePath: netns, namespaceGoes: true)
                    forget(containerID, network: a.network, in: PathText.parent(directory))
                }
            }
        }
        try? Files.remove(recordPath(directory))
        NetworkNamespace.remove(at: netns)
    }

    /// The host ports of `ports`: a given one must be free on the host and unpublished by any other container; 0
    /// gets a free one.
    static func choosePorts(_ ports: [PortMapping], containers: String, except id: String) throws(EstibaError) -> [PortMapping] {
        if ports.isEmpty { return [] }
        var taken: [PortMapping] = []
        for entry in (try? FileDescriptor.open(containers, .directory).names()) ?? [] where !entry.hasPrefix(".") && entry != id {
            for a in attachments(containers + "/" + entry) { taken += a.ports }
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

    /// Adds `a`'s names to the hosts files of the containers on its network; returns their lines for its own.
    static func announce(_ a: NetworkAttachment, of id: String, in containers: String) -> [String] {
        guard !a.aliases.isEmpty else { return [] }
        var peers: [String] = []
        for entry in (try? FileDescriptor.open(containers, .directory).names()) ?? [] where !entry.hasPrefix(".") && entry != id {
            let dir = containers + "/" + entry
            for peer in attachments(dir) where peer.network == a.network && !peer.aliases.isEmpty {
                peers.append(hostsLine(peer, of: entry))
                appendHosts([hostsLine(a, of: id)], to: BundleFiles(directory: dir).hosts)
            }
        }
        return peers
    }

    /// Removes a container's lines from the hosts files of its network's peers.
    static func forget(_ id: String, network: String, in containers: String) {
        let mark = marker(id)
        for entry in (try? FileDescriptor.open(containers, .directory).names()) ?? [] where !entry.hasPrefix(".") && entry != id {
            let dir = containers + "/" + entry
            guard attachments(dir).contains(where: { $0.network == network }) else { continue }
            let path = BundleFiles(directory: dir).hosts
            guard let text = try? Files.read(path) else { continue }
            let lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let kept = lines.filter { !$0.hasSuffix(mark) }
            guard kept.count != lines.count else { continue }
            rewrite(path, kept.joined(separator: "\n"))
        }
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
