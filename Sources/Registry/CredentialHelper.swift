import EstibaJSON
import System

/// A Docker credential helper (`docker-credential-<name>`): `get` reads the server on stdin and writes
/// `{"ServerURL","Username","Secret"}`.
struct CredentialHelper {
    let name: String
    /// The PATH to find it in.
    let path: String?

    /// The credentials the helper holds for `server`, or nil when it holds none.
    func get(_ server: String) throws(EstibaError) -> RegistryCredentials? {
        let program = "docker-credential-" + name
        let (status, bytes) = try run("get", input: Array((server + "\n").utf8))
        guard status == 0 else {
            // The helper protocol's answer for a server it knows nothing of.
            if String(decoding: bytes, as: UTF8.self).contains("credentials not found") { return nil }
            throw EstibaError(
                .failedPrecondition, "The credential helper \(program) failed for \(server); run estiba login \(server).",
                context: ["helper": program])
        }
        guard let doc = try? JSONValue.parse(bytes), let user = doc["Username"]?.stringValue, let secret = doc["Secret"]?.stringValue else {
            throw EstibaError(.badInput, "The credential helper \(program) answered something other than its JSON credentials.", context: ["helper": program])
        }
        return RegistryCredentials(username: user, password: secret)
    }

    /// Stores credentials for `server` in the helper (`store`, with `{"ServerURL","Username","Secret"}` on stdin).
    func store(_ server: String, _ credentials: RegistryCredentials) throws(EstibaError) {
        let doc: JSONValue = ["ServerURL": .string(server), "Username": .string(credentials.username), "Secret": .string(credentials.password)]
        let (status, _) = try run("store", input: doc.encoded())
        guard status == 0 else {
            throw EstibaError(
                .failedPrecondition, "The credential helper docker-credential-\(name) could not store the credentials for \(server).",
                context: ["helper": "docker-credential-" + name])
        }
    }

    /// Removes the credentials for `server` from the helper (`erase`, the server on stdin); false when it held none.
    func erase(_ server: String) throws(EstibaError) -> Bool {
        let (status, output) = try run("erase", input: Array((server + "\n").utf8))
        if status == 0 { return true }
        if String(decoding: output, as: UTF8.self).contains("credentials not found") { return false }
        throw EstibaError(
            .failedPrecondition, "The credential helper docker-credential-\(name) could not erase the credentials for \(server).",
            context: ["helper": "docker-credential-" + name])
    }

    /// Runs the helper's `action` with `input` on its stdin (a socket: a helper that exits without reading fails
    /// our send with EPIPE, never SIGPIPE); its exit code and output.
    private func run(_ action: String, input bytes: [UInt8]) throws(EstibaError) -> (Int32, [UInt8]) {
        let program = "docker-credential-" + name
        guard let executable = locate(program) else {
            throw EstibaError(
                .failedPrecondition,
                "The credential helper \(program) named in the Docker config is not installed; install it or remove it from the config.",
                context: ["helper": program])
        }
        let input = try SocketPair()
        let output = try Pipe()
        var spawn = Spawn(executable: executable, arguments: [program, action])
        spawn.descriptors = [0: .copy(input.second), 1: .copy(output.writeEnd), 2: .nullDevice(writable: true)]
        spawn.closeOtherDescriptors = true
        let pid = try spawn.start()
        input.second.close()
        output.writeEnd.close()
        try? input.first.send(bytes)
        input.first.close()
        let answer = (try? output.readEnd.readAll(upTo: 1 << 20)) ?? []
        output.readEnd.close()
        let status = try Processes.wait(for: pid)
        return (status.exitCode, answer)
    }

    private func locate(_ program: String) -> String? {
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + program
            if let s = try? Files.status(candidate), s.kind == .regular, s.mode & 0o111 != 0 { return candidate }
        }
        return nil
    }
}
