import EstibaJSON
import Foundation
import ImageStore
import Registry
import System
import Testing

/// Mirrors and TLS settings from the registries config, against real registries on loopback.
@Suite(.serialized) struct MirrorTests {
    func pull(_ store: ImageStore, _ reference: String, hosts: HostsConfiguration) async throws -> PullResult {
        let puller = Puller(store: store, reference: try RemoteReference(parsing: reference), credentials: nil, certificateDirectories: [], hosts: hosts)
        return try await store.withLease { () async throws(EstibaError) -> PullResult in try await puller.pull { _ in } }
    }

    /// Removes the stored bodies of an image's layers from a registry: asking it for them fails.
    func dropLayers(of repositoryAndTag: String, in registry: LocalRegistry) throws {
        let manifest = try JSONValue.parse(try registry.inspect(repositoryAndTag, "--raw"))
        for layer in manifest["layers"]?.arrayValue ?? [] {
            let hex = String(try #require(layer["digest"]?.stringValue).dropFirst(7))
            let data = registry.directory + "/data/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
            try FileManager.default.removeItem(atPath: data)
        }
    }

    @Test func aMirrorServesBlobsAndResolvesTagsOnlyWhenAllowed() async throws {
        let upstream = try LocalRegistry()
        defer { upstream.stop() }
        let mirror = try LocalRegistry()
        defer { mirror.stop() }
        let a = try await busyboxLayout()
        defer { removeTree(a) }
        let b = try await busyboxLayout(extraFile: "b")
        defer { removeTree(b) }
        // The registry has B as team/app:1 but cannot send its layer; the mirror has A under that tag, B under another.
        try upstream.copy("oci:\(b)/oci:busybox:latest", to: "team/app:1")
        try mirror.copy("oci:\(a)/oci:busybox:latest", to: "team/app:1")
        try mirror.copy("oci:\(b)/oci:busybox:latest", to: "team/app:b")
        let configA = Digest.of(try mirror.inspect("team/app:1", "--config"))
        let configB = Digest.of(try upstream.inspect("team/app:1", "--config"))
        try dropLayers(of: "team/app:1", in: upstream)
        let reference = "\(upstream.host)/team/app:1"

        let root = try temporaryDirectory("mirror")
        defer { removeTree(root) }
        // Without the mirror the pull fails.
        let alone = try ImageStore(root: root + "/alone")
        await #expect(throws: EstibaError.self) { _ = try await pull(alone, reference, hosts: HostsConfiguration()) }

        // With it: the tag is resolved by the registry (B), the layers come from the mirror.
        let store = try ImageStore(root: root + "/store")
        let viaMirror = HostsConfiguration(hosts: [upstream.host: HostSettings(mirrors: [.init(host: mirror.host)])])
        let pulled = try await pull(store, reference, hosts: viaMirror)
        #expect(pulled.image.id == configB)
        #expect(await store.verify().problems.isEmpty)
        #expect(pulled.image.repoDigests.map(\.name) == ["\(upstream.host)/team/app"])

        // A mirror allowed to resolve answers for the tag (A), before the registry.
        let resolving = try ImageStore(root: root + "/resolving")
        let resolveConfig = HostsConfiguration(hosts: [upstream.host: HostSettings(mirrors: [.init(host: mirror.host, resolve: true)])])
        #expect(try await pull(resolving, reference, hosts: resolveConfig).image.id == configA)

        // A mirror that is down is passed over for what the registry can send.
        try upstream.copy("oci:\(a)/oci:busybox:latest", to: "team/app:2")
        let down = try ImageStore(root: root + "/down")
        let deadMirror = HostsConfiguration(hosts: [upstream.host: HostSettings(mirrors: [.init(host: "127.0.0.1:\(try LocalRegistry.freePort())")])])
        #expect(try await pull(down, "\(upstream.host)/team/app:2", hosts: deadMirror).image.id == configA)
    }

    @Test func skipVerifyReachesARegistryWithAnUntrustedCertificate() async throws {
        let registry = try LocalRegistry(tls: true)
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let copied = try run("/usr/bin/skopeo", [
            "copy", "-q", "--dest-tls-verify=false", "oci:\(layout)/oci:busybox:latest", "docker://\(registry.host)/tls/app:1",
        ])
        #expect(copied.status == 0, "\(copied.output)")
        let root = try temporaryDirectory("skip-verify")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(registry.host)/tls/app:1", hosts: HostsConfiguration())
        } throws: { e in
            let m = (e as? EstibaError)?.message ?? ""
            return m.hasPrefix("Cannot make a trusted TLS connection to the registry \(registry.host): ") && m.contains("certs.d/\(registry.host)/ca.crt")
                && m.contains("registries config")
        }
        let pulled = try await pull(store, "\(registry.host)/tls/app:1", hosts: HostsConfiguration(hosts: [registry.host: HostSettings(skipVerify: true)]))
        #expect(pulled.downloaded)
        // The config's own CA file trusts it too.
        let second = try ImageStore(root: root + "/ca")
        let withCA = HostsConfiguration(hosts: [registry.host: HostSettings(ca: registry.directory + "/cert.pem")])
        #expect(try await pull(second, "\(registry.host)/tls/app:1", hosts: withCA).downloaded)
    }
}
