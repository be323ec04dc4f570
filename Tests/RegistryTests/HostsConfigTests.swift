import EstibaJSON
import Foundation
@testable import Registry
import System
import Testing

/// The registries config file: what it reads, and the one sentence a wrong field gets.
@Suite struct HostsConfigTests {
    func parse(_ text: String) throws -> HostsConfiguration {
        try HostsConfiguration(document: try JSONValue.parse(text), file: "/etc/estiba/registries.json")
    }

    func failure(_ text: String) -> String? {
        let result: Result<HostsConfiguration, EstibaError> = Result { () throws(EstibaError) in
            try HostsConfiguration(document: try JSONValue.parse(text), file: "/etc/estiba/registries.json")
        }
        if case .failure(let e) = result { return e.message }
        return nil
    }

    @Test func readsMirrorsTLSSettingsAndParallelDownloads() throws {
        let config = try parse("""
            {"parallelDownloads": 5, "registries": {
              "docker.io": {"mirrors": ["Mirror.example.com:5000", {"host": "cache.local", "resolve": true}]},
              "mirror.example.com:5000": {"insecure": true, "parallelDownloads": 2},
              "lab.internal": {"skipVerify": true, "ca": "/etc/hostname"}}}
            """)
        #expect(config.settings(for: "docker.io").mirrors == [.init(host: "mirror.example.com:5000"), .init(host: "cache.local", resolve: true)])
        #expect(config.settings(for: "mirror.example.com:5000").insecure)
        #expect(config.parallelDownloads(for: "mirror.example.com:5000") == 2)
        #expect(config.parallelDownloads(for: "docker.io") == 5)
        #expect(HostsConfiguration().parallelDownloads(for: "docker.io") == 3)
        #expect(config.settings(for: "lab.internal").skipVerify && config.settings(for: "lab.internal").ca == "/etc/hostname")
        #expect(config.settings(for: "elsewhere.io") == HostSettings())

        // The endpoint follows the settings; loopback hosts keep plain HTTP without any.
        #expect(RegistryEndpoint(host: "mirror.example.com:5000", settings: config.settings(for: "mirror.example.com:5000")).schemes == ["http"])
        #expect(RegistryEndpoint(host: "lab.internal").schemes == ["https"])
        #expect(RegistryEndpoint(host: "127.0.0.1:5000").schemes == ["https", "http"])
        let lab = RegistryEndpoint(host: "lab.internal", settings: config.settings(for: "lab.internal"))
        #expect(lab.skipVerify && lab.caFile == "/etc/hostname")
    }

    @Test func aLoopbackHostIsAskedFirstOnTheSchemeItAnsweredOn() {
        let host = "127.0.0.\(Int.random(in: 2...250)):5999"
        #expect(RegistryEndpoint(host: host).schemes == ["https", "http"])
        RegistryEndpoint.remember(host: host, base: "http://" + host)
        #expect(RegistryEndpoint(host: host).schemes == ["http", "https"])
        RegistryEndpoint.remember(host: host, base: "https://" + host)
        #expect(RegistryEndpoint(host: host).schemes == ["https", "http"])
        // Other hosts stay HTTPS only.
        RegistryEndpoint.remember(host: "registry.example.com", base: "http://registry.example.com")
        #expect(RegistryEndpoint(host: "registry.example.com").schemes == ["https"])
    }

    @Test func aWrongFieldIsOneSentenceNamingTheFileAndTheField() {
        let file = "/etc/estiba/registries.json"
        #expect(failure(#"{"registries": {"docker.io": {"insecure": "yes"}}}"#)
            == "The registries config \(file): registries.\"docker.io\".insecure must be true or false; fix the file.")
        #expect(failure(#"{"registries": {"docker.io": {"mirrors": [{"resolve": true}]}}}"#)
            == "The registries config \(file): registries.\"docker.io\".mirrors[0].host must be given; fix the file.")
        #expect(failure(#"{"registries": {"docker.io": {"mirrors": ["https://m.example.com"]}}}"#)
            == "The registries config \(file): registries.\"docker.io\".mirrors[0] must be a host[:port] without a scheme or path; fix the file.")
        #expect(failure(#"{"registries": {"docker.io": {"mirror": []}}}"#)?.hasPrefix(
            "The registries config \(file) has an unknown field registries.\"docker.io\".mirror (known: mirrors,") == true)
        #expect(failure(#"{"parallelDownloads": 0}"#)
            == "The registries config \(file): parallelDownloads must be a whole number from 1 to 64; fix the file.")
        #expect(failure(#"{"registries": {"x.io": {"ca": "/nonexistent/ca.pem"}}}"#)
            == "The registries config \(file): registries.\"x.io\".ca must be a file that exists (/nonexistent/ca.pem does not); fix the file.")
        #expect(failure("[]") == "The registries config \(file): the top level must be an object; fix the file.")
    }

    @Test func theFileComesFromTheVariableOrIsAbsent() throws {
        let dir = try temporaryDirectory("hosts-config")
        defer { removeTree(dir) }
        let path = dir + "/registries.json"
        try #"{"registries": {"docker.io": {"mirrors": ["m.example.com"]}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try HostsConfiguration.load(environment: path).settings(for: "docker.io").mirrors.map(\.host) == ["m.example.com"])
        #expect(throws: EstibaError.self) { try HostsConfiguration.load(environment: dir + "/missing.json") }
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try HostsConfiguration.load(environment: path)
        } throws: { e in
            (e as? EstibaError)?.message.hasPrefix("The registries config \(path) is not valid JSON") == true
        }
    }
}
