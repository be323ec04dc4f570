import EstibaJSON
import System

/// The networks of a store: the built-in default one and the user's, in `networks/<name>.json` (their address
/// allocations are the driver's, in /run). Creations and removals take `networks/.lock`.
public struct NetworkStore: Sendable {
    public let directory: String

    public init(root: String) throws(EstibaError) {
        // From /: the host's record of a network's bridge names its file, and is read from any working directory.
        directory = Processes.absolutePath(root) + "/networks"
        do { try Files.ensureDirectory(directory, permissions: 0o700) } catch {
            throw EstibaError.runtime(cannot: "create \(directory)", error, code: .io)
        }
    }

    public func all() -> [Network] {
        let names = (try? FileDescriptor.open(directory, .directory).names()) ?? []
        let user = names.filter { $0.hasSuffix(".json") }.compactMap { name -> Network? in
            Self.read(directory + "/" + name)
        }
        return [Network.defaultNetwork] + user.sorted { $0.name < $1.name }
    }

    /// By name, full ID or unique ID prefix ("default" is the default network too).
    public func find(_ spec: String) throws(EstibaError) -> Network {
        if spec == "default" || spec == Network.defaultName { return Network.defaultNetwork }
        let all = all()
        if let n = all.first(where: { $0.name == spec || $0.id == spec }) { return n }
        let matches = all.filter { !$0.isDefault && spec.count >= 3 && $0.id.hasPrefix(spec) }
        if matches.count == 1, let only = matches.first { return only }
        throw EstibaError(.notFound, "No such network: \(spec). Run `estiba network ls` to list networks, or create it with `estiba network create \(spec)`.", context: ["network": spec])
    }

    public static func validName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        return alnum(first) && name.utf8.allSatisfy { alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }

    /// Creates a user network, with `subnet` or the next free /24 of 10.212.0.0/16 onwards; a subnet that overlaps
    /// another network's or a route of the host is refused.
    public func create(name: String, subnet: String?, gateway: String? = nil, internal: Bool, labels: [String: String] = [:]) throws(EstibaError) -> Network {
        guard Self.validName(name), !["none", "host", "default", Network.defaultName].contains(name) else {
            throw EstibaError(.invalidArgument, "Invalid network name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit (none, host, bridge and default are taken).", context: ["network": name])
        }
        return try locked { () throws(EstibaError) -> Network in
            let existing = all()
            if existing.contains(where: { $0.name == name }) {
                throw EstibaError(.alreadyExists, "A network named \(name) already exists; remove it first or choose another name.", context: ["network": name])
            }
            let own = Set(existing.map(\.bridge))
            let routes = HostRoutes.subnets().filter { !own.contains($0.interface) }.map(\.subnet)
            let chosen: IPv4Subnet
            if let subnet {
                guard let s = IPv4Subnet(subnet) else {
                    throw EstibaError(.invalidArgument, "Invalid subnet \"\(subnet)\": give an IPv4 CIDR such as 10.30.0.0/24 (prefix 8 to 30).", context: ["network": name])
                }
                if let clash = existing.first(where: { $0.subnet.overlaps(s) }) {
                    throw EstibaError(.conflict, "Subnet \(s) overlaps network \(clash.name)'s (\(clash.subnet)); choose another subnet.", context: ["network": name])
                }
                if let route = routes.first(where: { $0.overlaps(s) }) {
                    throw EstibaError(.conflict, "Subnet \(s) overlaps the host's route to \(route); choose another subnet.", context: ["network": name])
                }
                chosen = s
            } else {
                var candidate: IPv4Subnet?
                var base = Network.userRangeStart.value
                while base < 0x0AFF_0000 {
                    let s = IPv4Subnet(address: IPv4(base), prefix: 24)
                    if !existing.contains(where: { $0.subnet.overlaps(s) }) && !routes.contains(where: { $0.overlaps(s) }) {
                        candidate = s
                        break
                    }
                    base += 256
                }
                guard let candidate else {
                    throw EstibaError(.conflict, "No free subnet is left for a new network; give one with --subnet or remove networks.", context: ["network": name])
                }
                chosen = candidate
            }
            var gw = chosen.firstHost
            if let gateway {
                guard let g = IPv4(gateway), chosen.contains(g), g != chosen.address else {
                    throw EstibaError(.invalidArgument, "Invalid gateway \"\(gateway)\": give an address inside \(chosen).", context: ["network": name])
                }
                gw = g
            }
            let id = ContainerStore.newID()
            var network = Network(
                name: name, id: id, subnet: chosen, gateway: gw, bridge: "estiba-" + String(id.prefix(8)), isInternal: `internal`,
                created: Clocks.wallSeconds)
            network.labels = labels
            network.file = path(name)
            do throws(EstibaError) { try AtomicFile.write(network.json.encodedPretty(), to: path(name)) } catch { throw error.recoded(.io) }
            return network
        }
    }

    /// Deletes a user network's record and its bridge (the caller checks that no container uses it).
    public func remove(_ network: Network, driver: NetworkDriver) throws(EstibaError) {
        guard !network.isDefault else {
            throw EstibaError(.invalidArgument, "The default network \(network.name) is built in and cannot be removed.", context: ["network": network.name])
        }
        try locked { () throws(EstibaError) in
            do throws(EstibaError) { try Files.remove(path(network.name)) } catch {
                guard error.errorNumber == ErrorNumber.notFound else { throw error.recoded(.io) }
            }
            driver.removeNetwork(network)
            ContainerNetworking.forgetBridge(of: network)
        }
    }

    func path(_ name: String) -> String { directory + "/" + name + ".json" }

    /// The network stored in `file`, if it holds one.
    static func read(_ file: String) -> Network? {
        guard var n = (try? Files.read(file, upTo: 1 << 20)).flatMap({ try? JSONValue.parse($0) }).flatMap(Network.init(json:)) else { return nil }
        n.file = file
        return n
    }

    /// Runs `body` under the networks' lock.
    public func locked<T>(_ body: () throws(EstibaError) -> T) throws(EstibaError) -> T {
        let lock: FileDescriptor
        do { lock = try FileDescriptor.open(directory + "/.lock", [.readWrite, .create], permissions: 0o600) } catch { throw error.recoded(.io) }
        defer { lock.close() }
        _ = try lock.lock(exclusive: true)
        return try body()
    }
}

/// The subnets the host routes to (its own interfaces' and static routes, not the default route), with their
/// interfaces, from /proc/net/route. Another store's networks are among them once their bridges exist.
enum HostRoutes {
    static func subnets() -> [(interface: String, subnet: IPv4Subnet)] {
        let text = String(decoding: (try? Files.read("/proc/net/route", upTo: 1 << 20)) ?? [], as: UTF8.self)
        var result: [(interface: String, subnet: IPv4Subnet)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 8, let dst = UInt32(f[1], radix: 16), let mask = UInt32(f[7], radix: 16), mask != 0 else { continue }
            // The file holds them in the host's (little-endian) byte order.
            let d = dst.byteSwapped, m = mask.byteSwapped
            result.append((String(f[0]), IPv4Subnet(address: IPv4(d), prefix: m.nonzeroBitCount)))
        }
        return result
    }
}
