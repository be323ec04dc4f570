import EstibaJSON
import System

/// The run-time defaults of an image (the `config` member of an image config), with Docker's extensions.
public struct ContainerConfig: Sendable, Equatable {
    public var user: String?
    public var exposedPorts: [String] = []
    public var env: [String] = []
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String] = []
    public var workingDir: String?
    public var labels: [String: String] = [:]
    public var stopSignal: String?
    public var argsEscaped: Bool?
    public var healthcheck: JSONValue?
    public var onBuild: [String]?
    public var shell: [String]?
    /// Members this type does not model, kept as they were.
    public var extra = JSONObject()

    public init() {}

    static let known: Set<String> = [
        "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal",
        "ArgsEscaped", "Healthcheck", "OnBuild", "Shell",
    ]

    init(_ o: JSONObject, document: String) throws(EstibaError) {
        let f = try JSONFields(.object(o), document: document)
        user = try f.optionalString("User").flatMap { $0.isEmpty ? nil : $0 }
        exposedPorts = (try f.optionalObject("ExposedPorts"))?.keys.sorted() ?? []
        env = try f.optionalStrings("Env") ?? []
        entrypoint = try f.optionalStrings("Entrypoint")
        cmd = try f.optionalStrings("Cmd")
        volumes = (try f.optionalObject("Volumes"))?.keys.sorted() ?? []
        workingDir = try f.optionalString("WorkingDir").flatMap { $0.isEmpty ? nil : $0 }
        labels = Dictionary(try f.stringMap("Labels"), uniquingKeysWith: { _, b in b })
        stopSignal = try f.optionalString("StopSignal").flatMap { $0.isEmpty ? nil : $0 }
        argsEscaped = o["ArgsEscaped"]?.boolValue
        healthcheck = o["Healthcheck"].flatMap { $0.isNull ? nil : $0 }
        onBuild = try f.optionalStrings("OnBuild")
        shell = try f.optionalStrings("Shell")
        for (k, v) in o where !Self.known.contains(k) { extra.append(k, v) }
    }

    /// OCI field order; empty members omitted like Go's `omitempty`; maps with sorted keys.
    public var json: JSONValue {
        var o = JSONObject()
        if let user { o.append("User", .string(user)) }
        if !exposedPorts.isEmpty { o.append("ExposedPorts", .object(JSONObject(exposedPorts.sorted().map { ($0, JSONValue.object([:])) }))) }
        if !env.isEmpty { o.append("Env", JSONValue(env)) }
        if let entrypoint { o.append("Entrypoint", JSONValue(entrypoint)) }
        if let cmd { o.append("Cmd", JSONValue(cmd)) }
        if !volumes.isEmpty { o.append("Volumes", .object(JSONObject(volumes.sorted().map { ($0, JSONValue.object([:])) }))) }
        if let workingDir { o.append("WorkingDir", .string(workingDir)) }
        if !labels.isEmpty { o.append("Labels", .object(.sortedStrings(labels.map { ($0.key, $0.value) }))) }
        if let stopSignal { o.append("StopSignal", .string(stopSignal)) }
        if let argsEscaped { o.append("ArgsEscaped", .bool(argsEscaped)) }
        if let healthcheck { o.append("Healthcheck", healthcheck) }
        if let onBuild { o.append("OnBuild", JSONValue(onBuild)) }
        if let shell { o.append("Shell", JSONValue(shell)) }
        for (k, v) in extra { o.append(k, v) }
        return .object(o)
    }
}

/// One step of an image's history.
public struct HistoryEntry: Sendable, Equatable {
    public var created: Timestamp?
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    /// True when the step added no layer.
    public var emptyLayer: Bool

    public init(created: Timestamp?, createdBy: String? = nil, author: String? = nil, comment: String? = nil, emptyLayer: Bool = false) {
        self.created = created
        self.createdBy = createdBy
        self.author = author
        self.comment = comment
        self.emptyLayer = emptyLayer
    }

    var json: JSONValue {
        var o = JSONObject()
        if let created { o.append("created", .string(created.rfc3339)) }
        if let createdBy { o.append("created_by", .string(createdBy)) }
        if let author { o.append("author", .string(author)) }
        if let comment { o.append("comment", .string(comment)) }
        if emptyLayer { o.append("empty_layer", true) }
        return .object(o)
    }
}

/// An image configuration (`application/vnd.oci.image.config.v1+json`). The image ID is the digest of the
/// exact bytes it was read from or encoded to.
public struct ImageConfig: Sendable, Equatable {
    public var created: Timestamp?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfig
    public var diffIDs: [Digest]
    public var history: [HistoryEntry]
    /// Top-level members this type does not model (`container_config`, `docker_version`, `os.version`…).
    public var extra = JSONObject()

    public init(architecture: String, os: String = "linux", created: Timestamp? = nil) {
        self.architecture = architecture
        self.os = os
        self.created = created
        config = ContainerConfig()
        diffIDs = []
        history = []
    }

    static let known: Set<String> = ["created", "author", "architecture", "os", "variant", "config", "rootfs", "history"]

    public init(bytes: [UInt8], document: String = "the image config") throws(EstibaError) {
        let f = try JSONFields(try JSONFields.parse(bytes, document: document), document: document)
        created = try f.optionalString("created").flatMap(Timestamp.init(rfc3339:))
        author = try f.optionalString("author")
        architecture = try f.optionalString("architecture") ?? ""
        os = try f.optionalString("os") ?? ""
        variant = try f.optionalString("variant")
        config = try ContainerConfig(try f.optionalObject("config") ?? JSONObject(), document: document + " config")
        let rootfs = try JSONFields(.object(try f.optionalObject("rootfs") ?? JSONObject()), document: document + " rootfs")
        var ids: [Digest] = []
        for d in try rootfs.optionalStrings("diff_ids") ?? [] {
            guard let digest = Digest(d) else { throw EstibaError(.badInput, "\(document) has an unsupported diff ID \(d).") }
            ids.append(digest)
        }
        diffIDs = ids
        var entries: [HistoryEntry] = []
        for (i, h) in (f.object["history"]?.arrayValue ?? []).enumerated() {
            let hf = try JSONFields(h, document: "\(document) history \(i)")
            entries.append(
                HistoryEntry(
                    created: try hf.optionalString("created").flatMap(Timestamp.init(rfc3339:)),
                    createdBy: try hf.optionalString("created_by"), author: try hf.optionalString("author"),
                    comment: try hf.optionalString("comment"), emptyLayer: h["empty_layer"]?.boolValue ?? false))
        }
        history = entries
        for (k, v) in f.object where !Self.known.contains(k) { extra.append(k, v) }
    }

    public var json: JSONValue {
        var o = JSONObject()
        if let created { o.append("created", .string(created.rfc3339)) }
        if let author { o.append("author", .string(author)) }
        o.append("architecture", .string(architecture))
        o.append("os", .string(os))
        if let variant { o.append("variant", .string(variant)) }
        o.append("config", config.json)
        o.append("rootfs", ["type": "layers", "diff_ids": JSONValue(diffIDs.map(\.description))])
        if !history.isEmpty { o.append("history", .array(history.map(\.json))) }
        for (k, v) in extra { o.append(k, v) }
        return .object(o)
    }

    /// The bytes to store; their digest is the image ID.
    public func encoded() -> [UInt8] { json.encoded() }
}
