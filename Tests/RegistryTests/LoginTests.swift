import EstibaJSON
import Foundation
import Registry
import System
import Testing

/// Logins against real registries (htpasswd Basic, and Bearer through a token proxy), and credentials kept where
/// Docker keeps them: its config file, or a credential helper.
@Suite(.serialized) struct LoginTests {
    @Test func basicCredentialsAreCheckedWithTheRegistry() async throws {
        let registry = try LocalRegistry(users: [("bob", "right")])
        defer { registry.stop() }
        await #expect {
            try await LoginCheck.verify(domain: registry.host, credentials: RegistryCredentials(username: "bob", password: "wrong"), certificateDirectories: [])
        } throws: { e in
            (e as? EstibaError)?.message == "Login to \(registry.host) failed: the registry refused the user name or password; check them and try again."
        }
        try await LoginCheck.verify(domain: registry.host, credentials: RegistryCredentials(username: "bob", password: "right"), certificateDirectories: [])
    }

    @Test func aBearerChallengeIsFollowedToTheTokenRealm() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry, tokens: true)
        defer { proxy.stop() }
        try await LoginCheck.verify(domain: proxy.host, credentials: RegistryCredentials(username: "alice", password: "s3cret"), certificateDirectories: [])
        #expect(proxy.tokenRequests.last == "account=alice&service=estiba-test", "\(proxy.tokenRequests)")
        await #expect(throws: EstibaError.self) {
            try await LoginCheck.verify(domain: proxy.host, credentials: RegistryCredentials(username: "alice", password: "nope"), certificateDirectories: [])
        }
    }

    @Test func loginServersAreNamedAsDockerNamesThem() {
        #expect(CredentialSources.loginServer(nil) == ("https://index.docker.io/v1/", "docker.io"))
        #expect(CredentialSources.loginServer("index.docker.io") == ("https://index.docker.io/v1/", "docker.io"))
        #expect(CredentialSources.loginServer("https://index.docker.io/v1/") == ("https://index.docker.io/v1/", "docker.io"))
        #expect(CredentialSources.loginServer("http://127.0.0.1:5000/v2/") == ("127.0.0.1:5000", "127.0.0.1:5000"))
        #expect(CredentialSources.loginServer("registry.example:443") == ("registry.example:443", "registry.example:443"))
    }

    @Test func credentialsGoInTheDockerConfigPrivatelyKeepingItsOtherKeys() throws {
        let dir = try temporaryDirectory("docker-config")
        defer { removeTree(dir) }
        let config = dir + "/config.json"
        try #"{"auths":{"other.example":{"auth":"eDp5"}},"detachKeys":"ctrl-x"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let sources = CredentialSources(environment: ["DOCKER_CONFIG": dir, "PATH": "/usr/bin:/bin"])
        let bob = RegistryCredentials(username: "bob", password: "p:w")
        let storedIn = try sources.store(bob, key: "127.0.0.1:5000", domain: "127.0.0.1:5000")
        #expect(storedIn == config)
        let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let doc = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: config))))
        #expect(doc["detachKeys"]?.stringValue == "ctrl-x")
        #expect(doc["auths"]?["other.example"]?["auth"]?.stringValue == "eDp5")
        #expect(doc["auths"]?["127.0.0.1:5000"]?["auth"]?.stringValue == Base64.encode("bob:p:w"))
        #expect(try sources.credentials(domain: "127.0.0.1:5000", repository: "app") == bob)

        #expect(try sources.erase(key: "127.0.0.1:5000", domain: "127.0.0.1:5000"))
        #expect(try sources.credentials(domain: "127.0.0.1:5000", repository: "app") == nil)
        #expect(try !sources.erase(key: "127.0.0.1:5000", domain: "127.0.0.1:5000"))
        let after = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: config))))
        #expect(after["auths"]?["other.example"] != nil && after["detachKeys"] != nil)

        // No file yet: the directory and the file are made, private.
        let fresh = dir + "/fresh"
        let other = CredentialSources(environment: ["DOCKER_CONFIG": fresh])
        try other.store(bob, key: "https://index.docker.io/v1/", domain: "docker.io")
        #expect(try other.credentials(domain: "docker.io", repository: "library/busybox") == bob)
        #expect((try FileManager.default.attributesOfItem(atPath: fresh)[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aCredentialHelperStoresGetsAndErases() throws {
        let dir = try temporaryDirectory("helper")
        defer { removeTree(dir) }
        try writeTestHelper(in: dir + "/bin", state: dir + "/state")
        try #"{"credsStore":"testhelper"}"#.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let sources = CredentialSources(environment: ["DOCKER_CONFIG": dir, "PATH": dir + "/bin:/usr/bin:/bin"])
        let carol = RegistryCredentials(username: "carol", password: "secret")
        #expect(try sources.store(carol, key: "127.0.0.1:5000", domain: "127.0.0.1:5000") == "docker-credential-testhelper")
        #expect(try sources.credentials(domain: "127.0.0.1:5000", repository: "app") == carol)
        #expect(try sources.erase(key: "127.0.0.1:5000", domain: "127.0.0.1:5000"))
        #expect(try sources.credentials(domain: "127.0.0.1:5000", repository: "app") == nil)
        #expect(try !sources.erase(key: "127.0.0.1:5000", domain: "127.0.0.1:5000"))
        let calls = try String(contentsOfFile: dir + "/state/calls", encoding: .utf8).split(separator: "\n")
        #expect(calls == ["store 127.0.0.1:5000", "get 127.0.0.1:5000", "erase 127.0.0.1:5000", "get 127.0.0.1:5000", "erase 127.0.0.1:5000"], "\(calls)")
        // The secret went to the helper, not the config.
        #expect(try String(contentsOfFile: dir + "/config.json", encoding: .utf8) == #"{"credsStore":"testhelper"}"#)
    }
}

/// Writes `docker-credential-testhelper` into `bin`: it keeps one server's credentials in `state/secret` and logs
/// each call (`ACTION SERVER`) in `state/calls`.
func writeTestHelper(in bin: String, state: String) throws {
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    let script = """
        #!/usr/bin/python3
        import json, os, sys
        state = \(String(reflecting: state))
        action, data = sys.argv[1], sys.stdin.read()
        server = json.loads(data)["ServerURL"] if action == "store" else data.strip()
        open(os.path.join(state, "calls"), "a").write(action + " " + server + "\\n")
        secret = os.path.join(state, "secret")
        if action == "store":
            open(secret, "w").write(data)
        elif not os.path.exists(secret) or json.load(open(secret))["ServerURL"] != server:
            print("credentials not found in native keychain"); sys.exit(1)
        elif action == "get":
            print(open(secret).read())
        elif action == "erase":
            os.remove(secret)
        """
    let path = bin + "/docker-credential-testhelper"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
}
