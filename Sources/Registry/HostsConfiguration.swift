import EstibaJSON
import System

/// Per-registry settings from the registries config file (`registries.json`), in the spirit of containerd's
/// `hosts.toml` and containers' `registries.conf`:
///
/// ```json
/// {
///   "parallelDownloads": 3,
///   "registries": {
///     "docker.io": { "mirrors": ["mirror.example.com:5000", {"host": "cache.local", "resolve": true}] },
///     "mirror.example.com:5000": { "insecure": true },
///     "registry.internal": { "ca": "/etc/estiba/internal-ca.pem", "parallelDownloads": 6 },
///     "lab.internal:5443": { "skipVerify": true }
///   }
/// }
/// ```
///
/// The file is `$ESTIBA_REGISTRIES_CONFIG` when set, else `/etc/estiba/registries.json` when it exists. A host
/// named in no entry keeps the defaults: HTTPS with the system's authorities (and `certs.d/HOST/ca.crt`); a
/// loopback host (`localhost`, 127.0.0.0/8, `::1`) also plain HTTP.
public struct HostsConfiguration: Sendable, Equatable {
    /// Layers downloaded at once unless a host says otherwise.
    public var parallelDownloads: Int?
    /// Settings by `host[:port]` as references name it (`docker.io`, `example.com:5000`).
    public var hosts: [String: HostSettings] = [:]

    public init(parallelDownloads: Int? = nil, hosts: [String: HostSettings] = [:]) {
        self.parallelDownloads = parallelDownloads
        self.hosts = hosts
    }

    /// The environment variable naming the file.
    public static let environmentVariable = "ESTIBA_REGISTRIES_CONFIG"
    /// Where the file is when the variable is not set.
    public static let defaultPath = "/etc/estiba/registries.json"

    /// The settings of `host` (the defaults when none are given).
    public func settings(for host: String) -> HostSettings {
        hosts[host] ?? hosts[host.lowercased()] ?? HostSettings()
    }

    /// Layers to download at once from `host`: its own setting, else the file's, else 3.
    public func parallelDownloads(for host: String) -> Int {
        settings(for: host).parallelDownloads ?? parallelDownloads ?? 3
    }

    /// The configuration this process uses: from `$ESTIBA_REGISTRIES_CONFIG`, else `/etc/estiba/registries.json`;
    /// empty when neither names a file. A variable naming a missing file is an error (it was asked for).
    public static func load(environment: String? = Environment.value(environmentVariable)) throws(EstibaError) -> HostsConfiguration {
        if let path = environment, !path.isEmpty {
            guard Files.exists(path) else {
                throw EstibaError(
                    .invalidArgument,
                    "The registries config \(path) (named by \(environmentVariable)) does not exist; create it or unset the variable.",
                    context: ["path": path])
            }
            return try read(path)
        }
        return Files.exists(defaultPath) ? try read(defaultPath) : HostsConfiguration()
    }

    /// Reads and checks the file at `path`.
    public static func read(_ path: String) throws(EstibaError) -> HostsConfiguration {
        let bytes: [UInt8]
        do { bytes = try Files.read(path, upTo: 1 << 20) } catch {
            throw EstibaError(.io, "Cannot read the registries config \(path): \(error.message)", context: ["path": path])
        }
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw EstibaError(
                .invalidArgument, "The registries config \(path) is not valid JSON (\(error.message)); fix the file.", context: ["path": path])
        }
        return try HostsConfiguration(document: document, file: path)
    }

    /// Parses the document; a wrong field is named with its place (`registries."docker.io".mirrors[0]`).
    public init(document: JSONValue, file: String) throws(EstibaError) {
        let fields = ConfigFields(file: file)
        guard let top = document.objectValue else { throw fields.wrong("the top level", "an object") }
        for (key, value) in top {
            switch key {
            case "parallelDownloads": parallelDownloads = try fields.count(value, key)
            case "registries":
                guard let registries = value.objectValue else { throw fields.wrong(key, "an object of hosts") }
                for (host, settings) in registries {
                    guard !host.isEmpty, !host.contains("/") else {
                        throw fields.wrong("registries.\"\(host)\"", "named by a host[:port] (without a scheme or path)")
                    }
                    hosts[host.lowercased()] = try HostSettings(settings, place: "registries.\"\(host)\"", fields: fields)
                }
            default: throw fields.unknown(key, known: ["parallelDownloads", "registries"])
            }
        }
    }
}

/// What the registries config says about one host.
public struct HostSettings: Sendable, Equatable {
    /// Hosts tried before this one: for blobs and manifests by digest always, for tags only when `resolve`.
    public var mirrors: [Mirror] = []
    /// Plain HTTP only.
    public var insecure = false
    /// HTTPS without checking the certificate.
    public var skipVerify = false
    /// A PEM file of certificate authorities to trust for this host.
    public var ca: String?
    public var parallelDownloads: Int?

    public init(mirrors: [Mirror] = [], insecure: Bool = false, skipVerify: Bool = false, ca: String? = nil, parallelDownloads: Int? = nil) {
        self.mirrors = mirrors
        self.insecure = insecure
        self.skipVerify = skipVerify
        self.ca = ca
        self.parallelDownloads = parallelDownloads
    }

    /// A pull-only mirror of a registry (same repository names).
    public struct Mirror: Sendable, Equatable {
        public var host: String
        /// Whether tags are resolved here too (containerd's `resolve` capability); off by default, since a
        /// mirror's tags may lag the registry's.
        public var resolve: Bool

        public init(host: String, resolve: Bool = false) {
            self.host = host
            self.resolve = resolve
        }
    }

    init(_ value: JSONValue, place: String, fields: ConfigFields) throws(EstibaError) {
        guard let object = value.objectValue else { throw fields.wrong(place, "an object of settings") }
        for (key, v) in object {
            let at = place + "." + key
            switch key {
            case "mirrors":
                guard let list = v.arrayValue else { throw fields.wrong(at, "an array of hosts") }
                for (i, m) in list.enumerated() {
                    let mirrorPlace = "\(at)[\(i)]"
                    if let host = m.stringValue {
                        mirrors.append(Mirror(host: try fields.host(host, mirrorPlace)))
                        continue
                    }
                    guard let o = m.objectValue else { throw fields.wrong(mirrorPlace, "a host, or an object with \"host\" and \"resolve\"") }
                    var mirror = Mirror(host: "")
                    for (mk, mv) in o {
                        switch mk {
                        case "host":
                            guard let h = mv.stringValue else { throw fields.wrong(mirrorPlace + ".host", "a string (host[:port])") }
                            mirror.host = try fields.host(h, mirrorPlace + ".host")
                        case "resolve": mirror.resolve = try fields.bool(mv, mirrorPlace + ".resolve")
                        default: throw fields.unknown(mirrorPlace + "." + mk, known: ["host", "resolve"])
                        }
                    }
                    guard !mirror.host.isEmpty else { throw fields.wrong(mirrorPlace + ".host", "given") }
                    mirrors.append(mirror)
                }
            case "insecure": insecure = try fields.bool(v, at)
            case "skipVerify": skipVerify = try fields.bool(v, at)
            case "ca":
                guard let path = v.stringValue, path.hasPrefix("/") else { throw fields.wrong(at, "an absolute path to a PEM file") }
                guard Files.exists(path) else { throw fields.wrong(at, "a file that exists (\(path) does not)") }
                ca = path
            case "parallelDownloads": parallelDownloads = try fields.count(v, at)
            default: throw fields.unknown(at, known: ["mirrors", "insecure", "skipVerify", "ca", "parallelDownloads"])
            }
        }
    }
}

/// The wording of the config file's mistakes: one sentence naming the file and the field.
struct ConfigFields {
    let file: String

    func wrong(_ field: String, _ expected: String) -> EstibaError {
        EstibaError(
            .invalidArgument, "The registries config \(file): \(field) must be \(expected); fix the file.",
            context: ["path": file, "field": field])
    }

    func unknown(_ field: String, known: [String]) -> EstibaError {
        EstibaError(
            .invalidArgument,
            "The registries config \(file) has an unknown field \(field) (known: \(known.joined(separator: ", "))); fix the file.",
            context: ["path": file, "field": field])
    }

    func bool(_ v: JSONValue, _ field: String) throws(EstibaError) -> Bool {
        guard let b = v.boolValue else { throw wrong(field, "true or false") }
        return b
    }

    func count(_ v: JSONValue, _ field: String) throws(EstibaError) -> Int {
        guard let n = v.intValue, n >= 1, n <= 64 else { throw wrong(field, "a whole number from 1 to 64") }
        return Int(n)
    }

    func host(_ text: String, _ field: String) throws(EstibaError) -> String {
        guard !text.isEmpty, !text.contains("/"), !text.contains(where: \.isWhitespace) else {
            throw wrong(field, "a host[:port] without a scheme or path")
        }
        return text.lowercased()
    }
}
