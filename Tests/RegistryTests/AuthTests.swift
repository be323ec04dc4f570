import Foundation
import Registry
import System
import Testing

@testable import Registry

@Suite struct AuthChallengeTests {
    @Test func parsesBearerAndBasicChallenges() {
        let bearer = AuthChallenge.parse([
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
        ])
        #expect(bearer == [AuthChallenge(scheme: "bearer", parameters: [
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull",
        ])])
        #expect(AuthChallenge.parse([#"Basic realm="estiba test""#]) == [AuthChallenge(scheme: "basic", parameters: ["realm": "estiba test"])])
        // Several challenges in one header, unquoted values, escapes and blanks.
        let two = AuthChallenge.parse([#"Basic realm=x , Bearer realm="https://a/t?x=1", error="invalid_token", note="say \"hi\"""#])
        #expect(two.map(\.scheme) == ["basic", "bearer"])
        #expect(two.last?.parameters == ["realm": "https://a/t?x=1", "error": "invalid_token", "note": #"say "hi""#])
        #expect(AuthChallenge.parse(["", " , "]).isEmpty)
    }
}

@Suite struct CredentialTests {
    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func readsDockerConfigAuths() throws {
        let dir = try temporaryDirectory("creds")
        defer { removeTree(dir) }
        let alice = Data("alice:pa:ss".utf8).base64EncodedString()
        let hub = Data("hubuser:hubpass".utf8).base64EncodedString()
        try write(#"{"auths":{"https://127.0.0.1:5000/v2/":{"auth":"\#(alice)"},"https://index.docker.io/v1/":{"auth":"\#(hub)"},"empty.example":{}}}"#, dir + "/docker/config.json")
        let sources = CredentialSources(environment: ["DOCKER_CONFIG": dir + "/docker", "HOME": dir])
        #expect(try sources.credentials(domain: "127.0.0.1:5000", repository: "x") == RegistryCredentials(username: "alice", password: "pa:ss"))
        #expect(try sources.credentials(domain: "docker.io", repository: "library/busybox") == RegistryCredentials(username: "hubuser", password: "hubpass"))
        #expect(try sources.credentials(domain: "empty.example", repository: "x") == nil)
        #expect(try sources.credentials(domain: "other.example", repository: "x") == nil)
        // ~/.docker/config.json without DOCKER_CONFIG.
        try write(#"{"auths":{"home.example":{"auth":"\#(alice)"}}}"#, dir + "/.docker/config.json")
        #expect(try CredentialSources(environment: ["HOME": dir]).credentials(domain: "home.example", repository: "x")?.username == "alice")
        try write(#"{"auths":{"bad.example":{"auth":"not base64!"}}}"#, dir + "/bad/config.json")
        #expect(throws: EstibaError.self) { try CredentialSources(environment: ["DOCKER_CONFIG": dir + "/bad"]).credentials(domain: "bad.example", repository: "x") }
    }

    @Test func containersAuthFilesComeFirstAndMayNameNamespaces() throws {
        let dir = try temporaryDirectory("creds")
        defer { removeTree(dir) }
        func auth(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        try write(#"{"auths":{"reg.example/team":{"auth":"\#(auth("team:t"))"},"reg.example":{"auth":"\#(auth("any:a"))"}}}"#, dir + "/run/containers/auth.json")
        try write(#"{"auths":{"reg.example":{"auth":"\#(auth("docker:d"))"},"file.example":{"auth":"\#(auth("file:f"))"}}}"#, dir + "/docker/config.json")
        try write(#"{"auths":{"file.example":{"auth":"\#(auth("explicit:e"))"}}}"#, dir + "/explicit.json")
        let sources = CredentialSources(environment: ["XDG_RUNTIME_DIR": dir + "/run", "DOCKER_CONFIG": dir + "/docker"])
        #expect(try sources.credentials(domain: "reg.example", repository: "team/app")?.username == "team")
        #expect(try sources.credentials(domain: "reg.example", repository: "other/app")?.username == "any")
        #expect(try sources.credentials(domain: "file.example", repository: "x")?.username == "file")
        var explicit = sources
        explicit.environment["REGISTRY_AUTH_FILE"] = dir + "/explicit.json"
        #expect(try explicit.credentials(domain: "file.example", repository: "x")?.username == "explicit")
    }

    @Test func credentialHelpersSpeakTheHelperProtocol() throws {
        let dir = try temporaryDirectory("creds")
        defer { removeTree(dir) }
        // A helper that answers for the server it is asked about, and fails for others as helpers do.
        let helper = """
            #!/bin/sh
            [ "$1" = get ] || exit 2
            read server
            case "$server" in
              https://index.docker.io/v1/) echo '{"ServerURL":"hub","Username":"hub-user","Secret":"hub-secret"}' ;;
              helped.example) echo '{"ServerURL":"helped.example","Username":"helped","Secret":"h"}' ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """
        for name in ["docker-credential-store", "docker-credential-per-host"] {
            try write(helper, dir + "/bin/" + name)
            chmod(dir + "/bin/" + name, 0o755)
        }
        try write(#"{"credsStore":"store","credHelpers":{"helped.example":"per-host"},"auths":{"plain.example":{"auth":"\#(Data("plain:p".utf8).base64EncodedString())"}}}"#, dir + "/docker/config.json")
        let sources = CredentialSources(environment: ["DOCKER_CONFIG": dir + "/docker", "PATH": dir + "/bin"])
        #expect(try sources.credentials(domain: "helped.example", repository: "x") == RegistryCredentials(username: "helped", password: "h"))
        #expect(try sources.credentials(domain: "docker.io", repository: "library/x") == RegistryCredentials(username: "hub-user", password: "hub-secret"))
        #expect(try sources.credentials(domain: "plain.example", repository: "x")?.username == "plain")
        #expect(try sources.credentials(domain: "unknown.example", repository: "x") == nil)
        // A helper that exits without reading its input fails the lookup (and nothing else).
        try write("#!/bin/sh\nexit 3\n", dir + "/bin/docker-credential-quick")
        chmod(dir + "/bin/docker-credential-quick", 0o755)
        try write(#"{"credsStore":"quick"}"#, dir + "/quick/config.json")
        #expect {
            try CredentialSources(environment: ["DOCKER_CONFIG": dir + "/quick", "PATH": dir + "/bin"]).credentials(domain: "a.example", repository: "x")
        } throws: { ($0 as? EstibaError)?.message.contains("docker-credential-quick failed for a.example; run estiba login a.example") == true }
        try write(#"{"credsStore":"missing"}"#, dir + "/missing/config.json")
        #expect {
            try CredentialSources(environment: ["DOCKER_CONFIG": dir + "/missing", "PATH": dir + "/bin"]).credentials(domain: "a.example", repository: "x")
        } throws: { ($0 as? EstibaError)?.message.contains("docker-credential-missing") == true }
    }
}

@Suite struct EndpointTests {
    @Test func loopbackHostsMayUsePlainHTTP() {
        for host in ["localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000", "127.1.2.3:80", "[::1]:5000", "LOCALHOST:1"] {
            #expect(RegistryEndpoint(host: host).schemes == ["https", "http"], "\(host)")
        }
        for host in ["registry-1.docker.io", "example.com:5000", "128.0.0.1:5000", "127.0.0.1.example.com", "127.0.0.256", "[::2]:5000", "localhost.example"] {
            #expect(RegistryEndpoint(host: host).schemes == ["https"], "\(host)")
        }
    }
}
