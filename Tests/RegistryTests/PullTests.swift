import EstibaJSON
import Foundation
import ImageStore
import Registry
import Synchronization
import System
import Testing

/// Pulls from a real registry (Debian's docker-registry on loopback) seeded with skopeo.
@Suite(.serialized) struct PullTests {
    /// Records the events of a pull.
    final class Events: Sendable {
        let list = Mutex<[PullEvent]>([])
        func add(_ e: PullEvent) { list.withLock { $0.append(e) } }
        var all: [PullEvent] { list.withLock { $0 } }
        func statuses(_ id: Digest) -> [LayerStatus] {
            all.compactMap { if case .layer(let i, let s) = $0, i == id { s } else { nil } }
        }
    }

    func pull(
        _ store: ImageStore, _ reference: String, credentials: RegistryCredentials? = nil, platform: PullPlatform? = nil, events: Events = Events(),
        certificateDirectories: [String] = []
    ) async throws -> PullResult {
        let puller = Puller(
            store: store, reference: try RemoteReference(parsing: reference), credentials: credentials, platform: platform,
            certificateDirectories: certificateDirectories)
        return try await store.withLease { () async throws(EstibaError) -> PullResult in try await puller.pull { events.add($0) } }
    }

    @Test func pullsAGzipImageWithTheConfigDigestAsItsID() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "library/busybox:latest", ["--format", "v2s2"])
        let raw = try JSONValue.parse(try registry.inspect("library/busybox:latest", "--raw"))
        let configDigest = try #require(raw["config"]?["digest"]?.stringValue)
        #expect(raw["layers"]?.arrayValue?.first?["mediaType"]?.stringValue == MediaType.dockerLayerGzip)

        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let events = Events()
        let result = try await pull(store, "\(registry.host)/library/busybox", events: events)
        #expect(result.downloaded)
        #expect(result.image.id.description == configDigest)
        #expect(result.reference.description == "\(registry.host)/library/busybox:latest")
        #expect(result.digest == Digest.of(try registry.inspect("library/busybox:latest", "--raw")))
        let layerText = try #require(raw["layers"]?.arrayValue?.first?["digest"]?.stringValue)
        let layer = try #require(Digest(layerText))
        let statuses = events.statuses(layer)
        #expect(statuses.first == .waiting && statuses.last == .complete && statuses.contains(.verifying), "\(statuses)")
        #expect(events.all.first == .resolving(tagOrDigest: "latest", repository: "library/busybox"))

        // Listed under its name, whole, and extracted.
        let listed = try await store.image("\(registry.host)/library/busybox:latest")
        #expect(listed.id == result.image.id)
        let report = await store.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        let lower = try await store.lowerDirectories(of: listed)
        #expect(FileManager.default.isExecutableFile(atPath: lower[0] + "/bin/busybox"))

        // Again: up to date, nothing downloaded.
        let again = try await pull(store, "\(registry.host)/library/busybox:latest")
        #expect(!again.downloaded && again.image.id == result.image.id)
        // Under another tag: the layer is already there.
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "library/busybox:other", ["--format", "v2s2"])
        let other = Events()
        _ = try await pull(store, "\(registry.host)/library/busybox:other", events: other)
        #expect(other.statuses(layer) == [.alreadyExists])
    }

    @Test func pullsOCIZstdImagesAndPinnedDigests() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout(extraFile: "zstd")
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "team/app:zstd", ["--format", "oci", "--dest-compress-format", "zstd"])
        let rawBytes = try registry.inspect("team/app:zstd", "--raw")
        let raw = try JSONValue.parse(rawBytes)
        #expect(raw["layers"]?.arrayValue?.first?["mediaType"]?.stringValue == MediaType.layerZstd)
        let configDigest = try #require(raw["config"]?["digest"]?.stringValue)
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let pinned = try await pull(store, "\(registry.host)/team/app@\(Digest.of(rawBytes))")
        #expect(pinned.image.id.description == configDigest)
        // A digest pull writes no tag.
        #expect(pinned.image.references.isEmpty)
        let lower = try await store.lowerDirectories(of: pinned.image)
        #expect(try String(contentsOfFile: lower[0] + "/marker", encoding: .utf8) == "zstd")
        #expect(await store.verify().problems.isEmpty)
    }

    @Test func choosesThePlatformFromAnIndex() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "multi/app:base", ["--format", "oci"])
        let manifestBytes = try registry.inspect("multi/app:base", "--raw")
        let manifest = try JSONValue.parse(manifestBytes)
        let configBytes = try registry.inspect("multi/app:base", "--config")
        // A second config for arm64/v8 (same layer), and an index naming both.
        var config = try #require(try JSONValue.parse(configBytes).objectValue)
        config.set("architecture", "arm64")
        config.set("variant", "v8")
        let armConfig = JSONValue.object(config).encoded()
        let armManifest = JSONValue.object(try #require(manifest.objectValue).with("config", [
            "mediaType": .string(MediaType.imageConfig), "digest": .string(Digest.of(armConfig).description), "size": .int(Int64(armConfig.count)),
        ])).encoded()
        try registry.push(repository: "multi/app", blobs: [armConfig], manifest: armManifest, mediaType: MediaType.imageManifest, reference: Digest.of(armManifest).description)
        func entry(_ bytes: [UInt8], _ arch: String, _ variant: String?) -> JSONValue {
            var platform: JSONObject = ["os": "linux", "architecture": .string(arch)]
            if let variant { platform.append("variant", .string(variant)) }
            return ["mediaType": .string(MediaType.imageManifest), "digest": .string(Digest.of(bytes).description), "size": .int(Int64(bytes.count)), "platform": .object(platform)]
        }
        let index: JSONValue = [
            "schemaVersion": 2, "mediaType": .string(MediaType.imageIndex),
            "manifests": [entry(armManifest, "arm64", "v8"), entry(manifestBytes, "amd64", nil)],
        ]
        try registry.push(repository: "multi/app", blobs: [], manifest: index.encoded(), mediaType: MediaType.imageIndex, reference: "latest")

        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let host = try await pull(store, "\(registry.host)/multi/app")
        #expect(host.image.id == Digest.of(HostPlatform.architecture == "arm64" ? armConfig : configBytes))
        #expect(host.digest == Digest.of(index.encoded()))
        let arm = try await pull(store, "\(registry.host)/multi/app:latest", platform: try PullPlatform(parsing: "linux/arm64/v8"))
        #expect(arm.image.id == Digest.of(armConfig))
        let armNoVariant = try await pull(store, "\(registry.host)/multi/app:latest", platform: try PullPlatform(parsing: "linux/arm64"))
        #expect(armNoVariant.image.id == Digest.of(armConfig))
        await #expect {
            _ = try await pull(store, "\(registry.host)/multi/app", platform: try PullPlatform(parsing: "linux/s390x"))
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .notFound && e?.message.contains("linux/arm64/v8, linux/amd64") == true
        }
    }

    @Test func aLayerThatDoesNotMatchItsDiffIDLeavesNoTagAndNothingBehind() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "bad/app:base", ["--format", "oci"])
        let manifest = try JSONValue.parse(try registry.inspect("bad/app:base", "--raw"))
        var config = try #require(try JSONValue.parse(try registry.inspect("bad/app:base", "--config")).objectValue)
        config.set("rootfs", ["type": "layers", "diff_ids": [.string(Digest.of("not this layer").description)]])
        let badConfig = JSONValue.object(config).encoded()
        let badManifest = JSONValue.object(try #require(manifest.objectValue).with("config", [
            "mediaType": .string(MediaType.imageConfig), "digest": .string(Digest.of(badConfig).description), "size": .int(Int64(badConfig.count)),
        ])).encoded()
        try registry.push(repository: "bad/app", blobs: [badConfig], manifest: badManifest, mediaType: MediaType.imageManifest, reference: "latest")

        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(registry.host)/bad/app")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .badInput && e?.message.contains("diff ID") == true
        }
        #expect(try await store.images().isEmpty)
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/oci/blobs/sha256")) ?? []
        #expect(blobs.isEmpty, "\(blobs)")
        let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: root + "/snapshots")) ?? []
        #expect(snapshots.isEmpty, "\(snapshots)")
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
        #expect(tmp.isEmpty, "\(tmp)")
    }

    @Test func basicAuthUsesCredentialsAndAsksForLoginWithout() async throws {
        let registry = try LocalRegistry(users: [("alice", "s3cret")])
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "private/app:1")
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(registry.host)/private/app:1")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .failedPrecondition && e?.message.contains("run estiba login \(registry.host)") == true
        }
        await #expect(throws: EstibaError.self) {
            _ = try await pull(store, "\(registry.host)/private/app:1", credentials: RegistryCredentials(username: "alice", password: "wrong"))
        }
        let pulled = try await pull(store, "\(registry.host)/private/app:1", credentials: RegistryCredentials(username: "alice", password: "s3cret"))
        #expect(pulled.downloaded)
    }

    @Test func bearerTokensAreFetchedForTheRepositoryScopeAndFetchedAgainWhenRefused() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "team/app:1")
        // Each token is good for two requests: the pull (manifest, config, layer) needs a second one.
        let proxy = try TokenProxy(upstream: registry, uses: 2)
        defer { proxy.stop() }
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(proxy.host)/team/app:1")
        } throws: { e in (e as? EstibaError)?.message.contains("run estiba login \(proxy.host)") == true }
        let pulled = try await pull(store, "\(proxy.host)/team/app:1", credentials: RegistryCredentials(username: "alice", password: "s3cret"))
        #expect(pulled.image.id.description == (try JSONValue.parse(try registry.inspect("team/app:1", "--raw")))["config"]?["digest"]?.stringValue)
        let requests = proxy.tokenRequests
        #expect(requests.count == 3, "\(requests)")
        #expect(requests.allSatisfy { $0 == "service=estiba-test&scope=repository%3Ateam%2Fapp%3Apull" }, "\(requests)")
    }

    @Test func pullsUncompressedLayers() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout(extraFile: "plain")
        defer { removeTree(layout) }
        // The layout's own manifest: its layer is an uncompressed tar.
        let index = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: layout + "/oci/index.json"))))
        let digestText = try #require(index["manifests"]?.arrayValue?.first?["digest"]?.stringValue)
        let manifestDigest = try #require(Digest(digestText))
        func blob(_ d: Digest) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: layout + "/oci/blobs/sha256/" + d.hex))) }
        let manifestBytes = try blob(manifestDigest)
        let manifest = try Manifest(bytes: manifestBytes)
        #expect(manifest.layers.map(\.mediaType) == [MediaType.layer])
        try registry.push(
            repository: "plain/app", blobs: [try blob(manifest.config.digest)] + (try manifest.layers.map { try blob($0.digest) }),
            manifest: manifestBytes, mediaType: MediaType.imageManifest, reference: "v1")
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let pulled = try await pull(store, "\(registry.host)/plain/app:v1")
        #expect(pulled.image.id == manifest.config.digest)
        let lower = try await store.lowerDirectories(of: pulled.image)
        #expect(try String(contentsOfFile: lower[0] + "/marker", encoding: .utf8) == "plain")
        #expect(await store.verify().problems.isEmpty)
    }

    @Test func aCancelledPullStopsItsDownloadsAndLeavesNothing() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "slow/app:1")
        let proxy = try FaultyProxy(upstream: registry, mode: .slow)
        defer { proxy.stop() }
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let events = Events()
        let started = ContinuousClock.now
        let name = "\(proxy.host)/slow/app:1"
        let pull = Task { try await PullTests().pull(store, name, events: events) }
        // Cancelled once the layer is downloading (the whole of it takes several seconds through the proxy).
        while !events.all.contains(where: { if case .layer(_, .downloading) = $0 { true } else { false } }) {
            try await Task.sleep(for: .milliseconds(20))
            #expect(ContinuousClock.now - started < .seconds(30))
        }
        let cancelled = ContinuousClock.now
        pull.cancel()
        let outcome = await pull.result
        // The layer (about 1 MiB at 160 KiB/s) would take over 6 s more.
        #expect(ContinuousClock.now - cancelled < .seconds(3), "the download went on after the cancel")
        #expect(throws: EstibaError.self) { try outcome.get() }
        if case .failure(let e as EstibaError) = outcome { #expect(e.code == .cancelled, "\(e)") }
        #expect(try await store.images().isEmpty)
        for dir in ["oci/blobs/sha256", "snapshots", "tmp", "leases"] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            #expect(left.isEmpty, "\(dir): \(left)")
        }
    }

    @Test func serverErrorsAreTriedAgainAndBrokenTransfersResumed() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "flaky/app:1")
        let proxy = try FaultyProxy(upstream: registry, mode: .flaky)
        defer { proxy.stop() }
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let pulled = try await pull(store, "\(proxy.host)/flaky/app:1")
        let raw = try JSONValue.parse(try registry.inspect("flaky/app:1", "--raw"))
        #expect(pulled.image.id.description == raw["config"]?["digest"]?.stringValue)
        let layer = try #require(raw["layers"]?.arrayValue?.first?["digest"]?.stringValue)
        // The manifest, the config and the layer were each refused once; the layer was also cut off once.
        let faults = proxy.faults
        #expect(faults.filter { $0.hasPrefix("503 ") }.count == 3, "\(faults)")
        #expect(faults.contains("cut /v2/flaky/app/blobs/\(layer)"), "\(faults)")
        // The cut-off layer was resumed from where it stopped, not fetched again whole.
        let size = try #require(raw["layers"]?.arrayValue?.first?["size"]?.intValue)
        #expect(faults.contains("range /v2/flaky/app/blobs/\(layer) bytes=\(size / 2)-"), "\(faults)")
        #expect(await store.verify().problems.isEmpty)
    }

    @Test func pullsLayeredImagesWithARepeatedLayer() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await layeredLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:layers", to: "layers/app:3")
        let raw = try JSONValue.parse(try registry.inspect("layers/app:3", "--raw"))
        let layerDigests = (raw["layers"]?.arrayValue ?? []).compactMap { $0["digest"]?.stringValue.flatMap { Digest($0) } }
        #expect(layerDigests.count == 3)
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let events = Events()
        let pulled = try await pull(store, "\(registry.host)/layers/app:3", events: events)
        #expect(pulled.image.id.description == raw["config"]?["digest"]?.stringValue)
        #expect(pulled.image.config.diffIDs.count == 3 && pulled.image.chainIDs.count == 3)
        // The repeated layer is fetched once.
        #expect(events.statuses(layerDigests[2]).contains(.complete) || events.statuses(layerDigests[2]).contains(.alreadyExists))
        #expect(events.all.filter { if case .layer(_, .verifying) = $0 { true } else { false } }.count == 2)
        let lower = try await store.lowerDirectories(of: pulled.image)
        #expect(lower.count == 3)
        #expect(try String(contentsOfFile: lower[0] + "/second", encoding: .utf8) == "second layer\n")
        #expect(FileManager.default.isExecutableFile(atPath: lower[2] + "/bin/busybox"))
        #expect(await store.verify().problems.isEmpty)
    }

    @Test func anUntrustedCertificateIsATLSFailureNamingTheHost() async throws {
        let registry = try LocalRegistry(tls: true)
        defer { registry.stop() }
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(registry.host)/any/app:1")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .unavailable && e?.message.hasPrefix("Cannot make a trusted TLS connection to the registry \(registry.host): ") == true
        }
    }

    @Test func aPinnedDigestIsCheckedAgainstTheManifestBytes() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "pinned/app:1")
        let digest = Digest.of(try registry.inspect("pinned/app:1", "--raw"))
        let proxy = try FaultyProxy(upstream: registry, mode: .tamper)
        defer { proxy.stop() }
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(proxy.host)/pinned/app@\(digest)")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .badInput && e?.message.contains("not the expected \(digest)") == true
        }
        #expect(try await store.images().isEmpty)
        // Straight from the registry the same pin pulls.
        let pulled = try await pull(store, "\(registry.host)/pinned/app@\(digest)")
        #expect(pulled.digest == digest)
    }

    @Test func aHostsOwnCertificateAuthorityInCertsDIsTrusted() async throws {
        let registry = try LocalRegistry(tls: true)
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        // skopeo trusts the registry's certificate from a directory of its own.
        try FileManager.default.createDirectory(atPath: registry.directory + "/skopeo-certs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: registry.directory + "/cert.pem", toPath: registry.directory + "/skopeo-certs/ca.crt")
        let copied = try run("/usr/bin/skopeo", [
            "copy", "-q", "--dest-cert-dir", registry.directory + "/skopeo-certs", "oci:\(layout)/oci:busybox:latest", "docker://\(registry.host)/tls/app:1",
        ])
        #expect(copied.status == 0, "\(copied.output)")
        let certs = registry.directory + "/certs.d"
        try FileManager.default.createDirectory(atPath: certs + "/" + registry.host, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: registry.directory + "/cert.pem", toPath: certs + "/" + registry.host + "/ca.crt")
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let pulled = try await pull(store, "\(registry.host)/tls/app:1", certificateDirectories: [registry.directory + "/elsewhere", certs])
        #expect(pulled.downloaded)
        #expect(await store.verify().problems.isEmpty)
    }

    @Test func unknownNamesAndAbsentRegistriesSayWhatToDo() async throws {
        let registry = try LocalRegistry()
        let root = try temporaryDirectory("pull")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        await #expect {
            _ = try await pull(store, "\(registry.host)/no/such:tag")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .notFound && e?.message.contains("no/such:tag was not found on \(registry.host)") == true
        }
        registry.stop()
        await #expect {
            _ = try await pull(store, "\(registry.host)/no/such:tag")
        } throws: { e in
            let e = e as? EstibaError
            return e?.code == .unavailable && e?.message.contains("Cannot reach the registry \(registry.host)") == true
        }
    }
}

extension JSONObject {
    mutating func set(_ key: String, _ value: JSONValue) {
        var pairs = Array(zip(keys, values)).filter { $0.0 != key }
        pairs.append((key, value))
        self = JSONObject(pairs)
    }

    func with(_ key: String, _ value: JSONValue) -> JSONObject {
        var copy = self
        copy.set(key, value)
        return copy
    }
}
