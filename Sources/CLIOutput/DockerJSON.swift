import Engine
import EstibaJSON

/// Engine results in the shapes of Docker's Engine API, so tools written for `docker inspect` keep working.
public enum DockerJSON {
    /// `docker image inspect` keys.
    public static func inspect(_ d: ImageDetails) -> JSONValue {
        let r = d.image
        let c = r.config
        var o = JSONObject()
        o.append("Id", .string(r.id.description))
        o.append("RepoTags", JSONValue(r.references.map(\.description)))
        o.append("RepoDigests", JSONValue(r.repoDigests.map(\.description)))
        o.append("Parent", "")
        o.append("Comment", .string(c.history.last?.comment ?? ""))
        o.append("Created", .string((c.created ?? Timestamp(seconds: 0)).rfc3339))
        o.append("Container", "")
        o.append("DockerVersion", "")
        o.append("Author", .string(c.author ?? ""))
        o.append("Config", dockerConfig(c.config))
        o.append("Architecture", .string(c.architecture))
        if let v = c.variant { o.append("Variant", .string(v)) }
        o.append("Os", .string(c.os))
        o.append("Size", .int(r.size))
        o.append("VirtualSize", .int(r.size))
        o.append(
            "GraphDriver",
            [
                "Name": "overlay",
                "Data": ["LowerDir": .string(d.layerDirectories.joined(separator: ":"))],
            ])
        o.append("RootFS", ["Type": "layers", "Layers": JSONValue(c.diffIDs.map(\.description))])
        o.append("Metadata", ["LastTagTime": "0001-01-01T00:00:00Z"])
        o.append("History", .array(c.history.map(historyEntry)))
        o.append("ManifestDigest", .string(r.manifestDigest.description))
        return .object(o)
    }

    /// Docker's container config shape: every key present, null where unset.
    static func dockerConfig(_ c: ContainerConfig) -> JSONValue {
        func strings(_ a: [String]?) -> JSONValue { a.map { JSONValue($0) } ?? .null }
        func set(_ a: [String]) -> JSONValue { a.isEmpty ? .null : .object(JSONObject(a.sorted().map { ($0, JSONValue.object([:])) })) }
        var o: JSONObject = [
            "Hostname": "", "Domainname": "", "User": .string(c.user ?? ""), "AttachStdin": false, "AttachStdout": false,
            "AttachStderr": false,
        ]
        if !c.exposedPorts.isEmpty { o.append("ExposedPorts", set(c.exposedPorts)) }
        o.append("Tty", false)
        o.append("OpenStdin", false)
        o.append("StdinOnce", false)
        o.append("Env", c.env.isEmpty ? .null : JSONValue(c.env))
        o.append("Cmd", strings(c.cmd))
        if let h = c.healthcheck { o.append("Healthcheck", h) }
        if let a = c.argsEscaped { o.append("ArgsEscaped", .bool(a)) }
        o.append("Image", "")
        o.append("Volumes", set(c.volumes))
        o.append("WorkingDir", .string(c.workingDir ?? ""))
        o.append("Entrypoint", strings(c.entrypoint))
        o.append("OnBuild", strings(c.onBuild))
        o.append("Labels", c.labels.isEmpty ? .null : .object(JSONObject(c.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })))
        if let s = c.stopSignal { o.append("StopSignal", .string(s)) }
        if let s = c.shell { o.append("Shell", JSONValue(s)) }
        return .object(o)
    }

    static func historyEntry(_ h: HistoryEntry) -> JSONValue {
        var o = JSONObject()
        if let c = h.created { o.append("created", .string(c.rfc3339)) }
        o.append("created_by", .string(h.createdBy ?? ""))
        if let a = h.author { o.append("author", .string(a)) }
        if let c = h.comment { o.append("comment", .string(c)) }
        if h.emptyLayer { o.append("empty_layer", true) }
        return .object(o)
    }

    /// A row of `GET /images/json`, plus the unique size.
    public static func summary(_ s: ImageSummary) -> JSONValue {
        let r = s.image
        return [
            "Id": .string(r.id.description), "ParentId": "", "RepoTags": JSONValue(r.references.map(\.description)),
            "RepoDigests": JSONValue(r.repoDigests.map(\.description)), "Created": .int(r.config.created?.seconds ?? 0),
            "CreatedAt": .string((r.config.created ?? Timestamp(seconds: 0)).rfc3339), "Size": .int(r.size),
            "SharedSize": .int(s.sharedSize), "UniqueSize": .int(s.uniqueSize), "VirtualSize": .int(r.size),
            "Labels": .object(JSONObject(r.config.config.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
            "Containers": .int(Int64(s.containers)),
        ]
    }

    /// A row of `GET /images/{name}/history`.
    public static func historyRow(_ h: HistoryRow, tags: [String]) -> JSONValue {
        [
            "Id": .string(h.imageID?.description ?? "<missing>"), "Created": .int(h.created?.seconds ?? 0),
            "CreatedAt": .string((h.created ?? Timestamp(seconds: 0)).rfc3339), "CreatedBy": .string(h.createdBy),
            "Tags": h.imageID == nil ? .null : JSONValue(tags), "Size": .int(h.size), "Comment": .string(h.comment),
            "EmptyLayer": .bool(h.emptyLayer),
        ]
    }

    public static func removal(_ e: RemovalEvent) -> JSONValue {
        switch e {
        case .untagged(let r): return ["Untagged": .string(r.description)]
        case .untaggedDigest(let r): return ["Untagged": .string(r.description)]
        case .deleted(let d): return ["Deleted": .string(d.description)]
        }
    }
}

extension DockerJSON {
    /// `docker container inspect` keys (those Estiba has so far).
    public static func containerInspect(_ d: ContainerDetails) -> JSONValue {
        let c = d.container
        func time(_ t: Int64?) -> JSONValue { .string(Timestamp(seconds: t ?? 0).rfc3339) }
        // Volumes and bind mounts (Docker's Mounts shape).
        let mounts: [JSONValue] = d.mounts.map { m in
            var o: JSONObject = ["Type": m.volume == nil ? "bind" : "volume"]
            if let name = m.volume { o.append("Name", .string(name)) }
            o.append("Source", .string(m.source))
            o.append("Destination", .string(m.destination))
            o.append("RW", .bool(m.readWrite))
            return .object(o)
        }
        return [
            "Id": .string(c.id), "Created": time(c.created), "Path": .string(c.command.first ?? ""),
            "Args": JSONValue(Array(c.command.dropFirst())),
            "State": [
                "Status": .string(c.state.rawValue), "Running": .bool(c.state == .running), "Pid": .int(Int64(c.pid ?? 0)),
                "ExitCode": .int(Int64(c.exitCode ?? 0)), "StartedAt": time(c.startedAt), "FinishedAt": time(c.finishedAt),
            ],
            "Image": .string(c.imageID), "Name": .string("/" + c.name),
            "HostnamePath": .string(d.hostnamePath), "HostsPath": .string(d.hostsPath),
            "ResolvConfPath": .string(d.resolvConfPath),
            "GraphDriver": [
                "Name": "overlay",
                "Data": [
                    "LowerDir": .string(d.lowerDirectories.joined(separator: ":")), "UpperDir": .string(d.upperDirectory),
                    "WorkDir": .string(d.workDirectory), "MergedDir": .string(d.mergedDirectory),
                ],
            ],
            "Mounts": .array(mounts),
            "HostConfig": ["NetworkMode": .string(c.networkMode), "PortBindings": portMap(c.portBindings, bindings: true)],
            "NetworkSettings": networkSettings(d),
            "Config": [
                "Image": .string(c.image), "Cmd": JSONValue(c.command),
                "Labels": .object(JSONObject(c.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
            ],
        ]
    }

    /// Docker's `{"80/tcp": [{"HostIp": …, "HostPort": …}]}`; as bindings (asked for) an unspecified address or a
    /// port to be chosen is "".
    static func portMap(_ ports: [PortMapping], bindings: Bool) -> JSONValue {
        var grouped: [(String, [JSONValue])] = []
        for p in ports {
            let ip = p.hostIP.isEmpty && !bindings ? "0.0.0.0" : p.hostIP
            let entry: JSONValue = ["HostIp": .string(ip), "HostPort": .string(p.hostPort == 0 ? "" : String(p.hostPort))]
            if let i = grouped.firstIndex(where: { $0.0 == p.containerKey }) { grouped[i].1.append(entry) } else { grouped.append((p.containerKey, [entry])) }
        }
        return .object(JSONObject(grouped.map { ($0.0, JSONValue.array($0.1)) }))
    }

    /// Docker's `NetworkSettings`: the top-level address fields are those of the default network, as Docker's.
    /// `Networks` has every network the container is on, its interface's address there while it runs, else none.
    static func networkSettings(_ d: ContainerDetails) -> JSONValue {
        let main = d.networks.first { $0.network == Network.defaultName }
        func endpoint(_ a: NetworkAttachment?, aliases: [String], id: String) -> JSONValue {
            [
                "IPAMConfig": .null, "Links": .null, "Aliases": aliases.isEmpty ? .null : JSONValue(aliases),
                "NetworkID": .string(id), "EndpointID": "", "Gateway": .string(a?.gateway.description ?? ""),
                "IPAddress": .string(a?.address.description ?? ""), "IPPrefixLen": .int(Int64(a?.prefix ?? 0)), "IPv6Gateway": "",
                "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": .string(a?.mac ?? ""),
            ]
        }
        let configured = d.container.networks.map(\.network)
        var networks = d.container.networks.map { c -> (String, JSONValue) in
            if let a = d.networks.first(where: { $0.network == c.network }) { return (c.network, endpoint(a, aliases: a.aliases, id: a.networkID)) }
            return (c.network, endpoint(nil, aliases: c.aliases, id: d.networkIDs[c.network] ?? ""))
        }
        for a in d.networks where !configured.contains(a.network) { networks.append((a.network, endpoint(a, aliases: a.aliases, id: a.networkID))) }
        let running = d.container.state == .running
        return [
            "Bridge": "", "SandboxID": "", "SandboxKey": .string(d.sandboxKey ?? ""),
            "Ports": running ? portMap(d.networks.flatMap(\.ports), bindings: false) : .object([:]),
            "Gateway": .string(main?.gateway.description ?? ""), "IPAddress": .string(main?.address.description ?? ""),
            "IPPrefixLen": .int(Int64(main?.prefix ?? 0)), "MacAddress": .string(main?.mac ?? ""),
            "Networks": .object(JSONObject(networks)),
        ]
    }

    /// A row like Docker's GET /containers/json.
    public static func containerRow(_ c: ContainerRecord) -> JSONValue {
        var o: JSONObject = [
            "Id": .string(c.id), "Names": [.string("/" + c.name)], "Image": .string(c.image), "ImageID": .string(c.imageID),
            "Command": .string(c.command.joined(separator: " ")), "Created": .int(c.created), "State": .string(c.state.rawValue),
        ]
        o.append("ExitCode", c.exitCode.map { .int(Int64($0)) } ?? .null)
        o.append("Pid", c.pid.map { .int(Int64($0)) } ?? .null)
        o.append("Ports", .array(c.publishedPorts.map { p in
            ["IP": .string(p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP), "PrivatePort": .int(Int64(p.containerPort)), "PublicPort": .int(Int64(p.hostPort)), "Type": .string(p.proto.rawValue)]
        }))
        return .object(o)
    }

    /// A volume like Docker's GET /volumes.
    public static func volume(_ v: VolumeInfo) -> JSONValue {
        ["Name": .string(v.name), "Driver": "local", "Mountpoint": .string(v.mountpoint), "UsedBy": JSONValue(v.usedBy)]
    }
}
