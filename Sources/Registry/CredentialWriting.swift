import EstibaJSON
import ImageStore
import System

/// Where `login` keeps credentials, as Docker does: through the `credHelpers` helper for the host or the
/// `credsStore` helper when the Docker config names one, else in the config's `auths` (base64 of `user:password`),
/// the file written atomically with mode 0600 and its other keys kept.
extension CredentialSources {
    /// A login server as Docker names it in credential stores: Docker Hub's in any spelling is
    /// `https://index.docker.io/v1/`; any other loses its scheme and path (`https://host:5000/v2/` → `host:5000`).
    /// `domain` is the registry as references name it.
    public static func loginServer(_ server: String?) -> (key: String, domain: String) {
        var s = Substring(server ?? RemoteReference.dockerHub)
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = s.dropFirst(scheme.count) }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        let host = s.lowercased()
        if ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(host) { return (dockerHubKey, RemoteReference.dockerHub) }
        return (String(s), String(s))
    }

    /// Docker's config file: `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`.
    var dockerConfigFile: String { dockerConfigDirectory + "/config.json" }
    private var dockerConfigDirectory: String { environment["DOCKER_CONFIG"] ?? ((environment["HOME"] ?? "/root") + "/.docker") }

    /// The helper that keeps credentials for `domain`, if the Docker config names one.
    private func helper(in doc: JSONValue?, domain: String) -> String? {
        if let helpers = doc?["credHelpers"]?.objectValue {
            for key in Self.hostKeys(domain) {
                if let helper = helpers[key]?.stringValue, !helper.isEmpty { return helper }
            }
        }
        if let store = doc?["credsStore"]?.stringValue, !store.isEmpty { return store }
        return nil
    }

    /// Stores `credentials` for the login server `key` (of the registry `domain`); returns where they went (the
    /// file, or the helper's program name).
    @discardableResult
    public func store(_ credentials: RegistryCredentials, key: String, domain: String) throws(EstibaError) -> String {
        let file = dockerConfigFile
        let doc = try Self.document(file)
        if let helper = helper(in: doc, domain: domain) {
            try CredentialHelper(name: helper, path: environment["PATH"]).store(key, credentials)
            return "docker-credential-" + helper
        }
        var root = try Self.object(doc, file: file)
        var auths = root["auths"]?.objectValue ?? JSONObject()
        auths[key] = ["auth": .string(Base64.encode(credentials.username + ":" + credentials.password))]
        root["auths"] = .object(auths)
        try write(root, to: file)
        return file
    }

    /// Removes the credentials for the login server `key`; false when none were kept.
    public func erase(key: String, domain: String) throws(EstibaError) -> Bool {
        let file = dockerConfigFile
        let doc = try Self.document(file)
        if let helper = helper(in: doc, domain: domain) {
            return try CredentialHelper(name: helper, path: environment["PATH"]).erase(key)
        }
        guard doc != nil else { return false }
        var root = try Self.object(doc, file: file)
        guard var auths = root["auths"]?.objectValue else { return false }
        let spellings = Set(Self.hostKeys(domain))
        let matching = auths.keys.filter { $0 == key || spellings.contains(Self.normalisedKey($0)) }
        guard !matching.isEmpty else { return false }
        for k in matching { auths[k] = nil }
        root["auths"] = .object(auths)
        try write(root, to: file)
        return true
    }

    /// The config's top-level object (empty when there is no file).
    private static func object(_ doc: JSONValue?, file: String) throws(EstibaError) -> JSONObject {
        guard let doc else { return JSONObject() }
        guard let object = doc.objectValue else {
            throw EstibaError(.badInput, "The Docker config \(file) is not a JSON object; fix or remove it.", context: ["path": file])
        }
        return object
    }

    /// Replaces the config file atomically, readable by its owner only (its directory made if missing, 0700).
    private func write(_ root: JSONObject, to file: String) throws(EstibaError) {
        let directory = dockerConfigDirectory
        if !Files.exists(directory) {
            do { try Files.makeDirectory(directory, permissions: 0o700) } catch {
                if !error.isAlreadyExisting {
                    throw EstibaError(.io, "Cannot create \(directory) for the credentials: \(error.reason).", context: ["path": directory])
                }
            }
        }
        do {
            try AtomicFile.write(JSONValue.object(root).encodedPretty(indent: 2) + [0x0A], to: file, permissions: 0o600)
        } catch {
            throw EstibaError(.io, "Cannot write the credentials to \(file): \(error.reason).", context: ["path": file])
        }
    }
}
