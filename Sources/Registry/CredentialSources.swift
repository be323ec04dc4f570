import EstibaJSON
import System

/// Where credentials for a registry are found, in containers/image's order: `$REGISTRY_AUTH_FILE`, then
/// `$XDG_RUNTIME_DIR/containers/auth.json`, then Docker's `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`).
/// In Docker's file a `credHelpers` entry for the host wins, then an `auths` entry, then the `credsStore` helper.
public struct CredentialSources: Sendable {
    /// The variables consulted (`REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `DOCKER_CONFIG`, `HOME`, `PATH`).
    public var environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// The sources this process's environment names.
    public static var process: CredentialSources {
        var env: [String: String] = [:]
        for name in ["REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG", "HOME", "PATH"] {
            if let v = Environment.value(name) { env[name] = v }
        }
        return CredentialSources(environment: env)
    }

    /// Docker Hub's key in credential files and helpers.
    static let dockerHubKey = "https://index.docker.io/v1/"

    /// The credentials for `domain` (as the reference names it; `repository` picks namespaced auth.json entries),
    /// or nil when none is configured.
    public func credentials(domain: String, repository: String) throws(EstibaError) -> RegistryCredentials? {
        for file in containersFiles() {
            guard let doc = try Self.document(file) else { continue }
            if let found = try Self.entry(in: doc, file: file, domain: domain, repository: repository) { return found }
        }
        let dockerFile = (environment["DOCKER_CONFIG"] ?? ((environment["HOME"] ?? "/root") + "/.docker")) + "/config.json"
        guard let doc = try Self.document(dockerFile) else { return nil }
        if let helpers = doc["credHelpers"]?.objectValue {
            for key in Self.hostKeys(domain) {
                if let helper = helpers[key]?.stringValue { return try helperCredentials(helper, domain: domain) }
            }
        }
        if let found = try Self.entry(in: doc, file: dockerFile, domain: domain, repository: repository) { return found }
        if let store = doc["credsStore"]?.stringValue, !store.isEmpty { return try helperCredentials(store, domain: domain) }
        return nil
    }

    private func containersFiles() -> [String] {
        var files: [String] = []
        if let f = environment["REGISTRY_AUTH_FILE"], !f.isEmpty { files.append(f) }
        if let run = environment["XDG_RUNTIME_DIR"], !run.isEmpty { files.append(run + "/containers/auth.json") }
        return files
    }

    private func helperCredentials(_ helper: String, domain: String) throws(EstibaError) -> RegistryCredentials? {
        let server = domain == "docker.io" ? Self.dockerHubKey : domain
        return try CredentialHelper(name: helper, path: environment["PATH"]).get(server)
    }

    /// The parsed file, or nil when it does not exist.
    static func document(_ path: String) throws(EstibaError) -> JSONValue? {
        guard Files.exists(path) else { return nil }
        let bytes: [UInt8]
        do { bytes = try Files.read(path, upTo: 4 << 20) } catch {
            throw EstibaError(.io, "Cannot read the credentials file \(path): \(error.reason).", context: ["path": path])
        }
        do { return try JSONValue.parse(bytes) } catch {
            throw EstibaError(.badInput, "The credentials file \(path) is not valid JSON; fix or remove it.", context: ["path": path])
        }
    }

    /// The `auths` entry for the repository or its host: the most specific namespace first (auth.json allows
    /// `host/namespace` keys), then the host under any of its spellings (`https://host`, `host/v1/`…).
    static func entry(in doc: JSONValue, file: String, domain: String, repository: String) throws(EstibaError) -> RegistryCredentials? {
        guard let auths = doc["auths"]?.objectValue else { return nil }
        var components = repository.split(separator: "/").map(String.init)
        while !components.isEmpty {
            if let value = auths[domain + "/" + components.joined(separator: "/")] {
                return try decode(value, file: file, key: domain + "/" + components.joined(separator: "/"))
            }
            components.removeLast()
        }
        let keys = Set(hostKeys(domain))
        for (key, value) in auths where keys.contains(normalisedKey(key)) {
            if let found = try decode(value, file: file, key: key) { return found }
        }
        return nil
    }

    /// The spellings of a host in credential files.
    static func hostKeys(_ domain: String) -> [String] {
        domain == "docker.io"
            ? ["docker.io", "index.docker.io", "registry-1.docker.io", dockerHubKey, "https://index.docker.io/v1"]
            : [domain]
    }

    /// A key as a host: a URL key loses its scheme and path (`https://host:5000/v2/` → `host:5000`); Docker Hub's
    /// key stays whole; a key without a scheme is a host or a namespace as written.
    static func normalisedKey(_ key: String) -> String {
        if key == dockerHubKey { return key }
        var k = Substring(key)
        var hadScheme = false
        for scheme in ["https://", "http://"] where k.hasPrefix(scheme) {
            k = k.dropFirst(scheme.count)
            hadScheme = true
        }
        if hadScheme, let slash = k.firstIndex(of: "/") { k = k[..<slash] }
        return String(k)
    }

    /// `{"auth": base64("user:password")}` (or `username`/`password` fields); nil for an entry without any.
    static func decode(_ value: JSONValue, file: String, key: String) throws(EstibaError) -> RegistryCredentials? {
        if let auth = value["auth"]?.stringValue, !auth.isEmpty {
            guard let bytes = Base64.decode(auth, lenient: true), let text = String(validating: bytes, as: UTF8.self),
                let colon = text.firstIndex(of: ":")
            else {
                throw EstibaError(
                    .badInput, "The credentials for \(key) in \(file) are not base64 of user:password; log in again.",
                    context: ["path": file])
            }
            return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        }
        if let user = value["username"]?.stringValue, let password = value["password"]?.stringValue {
            return RegistryCredentials(username: user, password: password)
        }
        return nil
    }
}
