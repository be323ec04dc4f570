import EstibaJSON

/// A container's lasting facts, kept in `containers/<id>/record.json`.
public struct ContainerRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case created, running, exited
    }

    public var id: String
    public var name: String
    /// As the user named it, and its ID.
    public var image: String
    public var imageID: String
    public var command: [String]
    public var created: Int64
    public var state: State
    public var pid: Int32?
    public var exitCode: Int32?
    public var startedAt: Int64?
    public var finishedAt: Int64?
    /// The image's layers, top first (the overlay lower directories).
    public var lowerDirectories: [String]
    /// Detached containers: their monitor process, and whether to remove the container when it exits.
    public var monitorPid: Int32?
    public var autoRemove = false
    /// The container's labels (the image's, then `--label`).
    public var labels: [String: String] = [:]
    /// Volumes made for the image's VOLUMEs (removed with the container).
    public var anonymousVolumes: [String] = []
    /// The network it was created on (`bridge`, `none`, `host` or a user network's name: Docker's
    /// `HostConfig.NetworkMode`, kept as it was whatever is connected or disconnected since), the ports it asked to
    /// publish (host port 0: any free one, Docker's `PortBindings`) and those it publishes.
    public var networkMode = "none"
    /// Whether `network disconnect` took it off the network of `networkMode` (it may be connected there again,
    /// as a connected network).
    public var modeNetworkDisconnected = false
    public var portBindings: [PortMapping] = []
    public var publishedPorts: [PortMapping] = []
    /// `--network-alias`: more names it is found by on a user network.
    public var networkAliases: [String] = []
    /// The networks `network connect` added, in the order they were: attached after the first at every start.
    public var connectedNetworks: [NetworkConnection] = []

    /// Takes the networks of `stored` (the record as stored now: `network connect` and `disconnect` change them
    /// whatever the state, so a record read before must not bring back those of then).
    public mutating func takeNetworks(of stored: ContainerRecord?) {
        guard let stored else { return }
        networkMode = stored.networkMode
        modeNetworkDisconnected = stored.modeNetworkDisconnected
        networkAliases = stored.networkAliases
        connectedNetworks = stored.connectedNetworks
    }

    /// Every network it is on: `networkMode`'s (unless none or host, or disconnected), then the connected ones.
    public var networks: [NetworkConnection] {
        (["none", "host"].contains(networkMode) || modeNetworkDisconnected ? [] : [NetworkConnection(network: networkMode, aliases: networkAliases)])
            + connectedNetworks
    }

    public init(id: String, name: String, image: String, imageID: String, command: [String], created: Int64, lowerDirectories: [String]) {
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.command = command
        self.created = created
        self.state = .created
        self.lowerDirectories = lowerDirectories
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "name": .string(name), "image": .string(image), "imageID": .string(imageID),
            "command": JSONValue(command), "created": .int(created), "state": .string(state.rawValue),
            "lowerDirectories": JSONValue(lowerDirectories),
        ]
        if let pid { o.append("pid", .int(Int64(pid))) }
        if let exitCode { o.append("exitCode", .int(Int64(exitCode))) }
        if let startedAt { o.append("startedAt", .int(startedAt)) }
        if let finishedAt { o.append("finishedAt", .int(finishedAt)) }
        if let monitorPid { o.append("monitorPid", .int(Int64(monitorPid))) }
        if autoRemove { o.append("autoRemove", true) }
        if !anonymousVolumes.isEmpty { o.append("anonymousVolumes", JSONValue(anonymousVolumes)) }
        o.append("networkMode", .string(networkMode))
        if modeNetworkDisconnected { o.append("modeNetworkDisconnected", true) }
        if !portBindings.isEmpty { o.append("portBindings", .array(portBindings.map(\.json))) }
        if !networkAliases.isEmpty { o.append("networkAliases", JSONValue(networkAliases)) }
        if !connectedNetworks.isEmpty { o.append("connectedNetworks", .array(connectedNetworks.map(\.json))) }
        if !publishedPorts.isEmpty { o.append("publishedPorts", .array(publishedPorts.map(\.json))) }
        if !labels.isEmpty { o.append("labels", .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))) }
        return .object(o)
    }

    /// Reads a stored record; a process ID or exit code that does not fit an Int32 (a damaged file) reads as absent.
    public init?(json v: JSONValue) {
        guard let id = v["id"]?.stringValue, let name = v["name"]?.stringValue, let image = v["image"]?.stringValue,
            let imageID = v["imageID"]?.stringValue, let state = v["state"]?.stringValue.flatMap(State.init(rawValue:))
        else { return nil }
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.command = v["command"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.created = v["created"]?.intValue ?? 0
        self.state = state
        self.pid = v["pid"]?.intValue.flatMap { Int32(exactly: $0) }
        self.exitCode = v["exitCode"]?.intValue.flatMap { Int32(exactly: $0) }
        self.startedAt = v["startedAt"]?.intValue
        self.finishedAt = v["finishedAt"]?.intValue
        self.lowerDirectories = v["lowerDirectories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.monitorPid = v["monitorPid"]?.intValue.flatMap { Int32(exactly: $0) }
        self.autoRemove = v["autoRemove"]?.boolValue ?? false
        for (k, value) in v["labels"]?.objectValue ?? [:] { if let s = value.stringValue { labels[k] = s } }
        anonymousVolumes = v["anonymousVolumes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        networkMode = v["networkMode"]?.stringValue ?? "none"
        modeNetworkDisconnected = v["modeNetworkDisconnected"]?.boolValue ?? false
        portBindings = (v["portBindings"]?.arrayValue ?? []).compactMap(PortMapping.init(json:))
        networkAliases = v["networkAliases"]?.arrayValue?.compactMap(\.stringValue) ?? []
        connectedNetworks = (v["connectedNetworks"]?.arrayValue ?? []).compactMap(NetworkConnection.init(json:))
        publishedPorts = (v["publishedPorts"]?.arrayValue ?? []).compactMap(PortMapping.init(json:))
    }
}

/// A network a container is connected to (`network connect --alias …`), kept in its record.
public struct NetworkConnection: Sendable, Equatable {
    public var network: String
    public var aliases: [String]

    public init(network: String, aliases: [String] = []) {
        self.network = network
        self.aliases = aliases
    }

    public var json: JSONValue { ["network": .string(network), "aliases": JSONValue(aliases)] }

    public init?(json v: JSONValue) {
        guard let network = v["network"]?.stringValue else { return nil }
        self.init(network: network, aliases: v["aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
