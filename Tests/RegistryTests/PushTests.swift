import EstibaJSON
import Foundation
import ImageStore
import Registry
import Synchronization
import System
import Testing

/// Pushes to a real registry (Debian's docker-registry on loopback), through a proxy that records every request.
@Suite(.serialized) struct PushTests {
    /// Records the events of a push.
    final class Events: Sendable {
        let list = Mutex<[PushEvent]>([])
        func add(_ e: PushEvent) { list.withLock { $0.append(e) } }
        var all: [PushEvent] { list.withLock { $0 } }
        var layerStatuses: [PushLayerStatus] { all.compactMap { if case .layer(_, let s) = $0 { s } else { nil } } }
    }

    /// Pushes the store's `busybox:latest` (or `image`) to `reference`.
    func push(
        _ store: ImageStore, _ reference: String, image: String = "busybox:latest", options: PushOptions = PushOptions(),
        credentials: RegistryCredentials? = nil, events: Events = Events()
    ) async throws -> PushResult {
        let pusher = Pusher(
            store: store, reference: try RemoteReference(parsing: reference), credentials: credentials, options: options, certificateDirectories: [])
        return try await store.withLease { () async throws(EstibaError) -> PushResult in
            let record = try await store.use(image)
            return try await pusher.push(record) { events.add($0) }
        }
    }

    /// Pulls `reference` into a new empty store; returns the image ID.
    func pullBack(_ reference: String) async throws -> Digest {
        let root = try temporaryDirectory("pullback")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let puller = Puller(store: store, reference: try RemoteReference(parsing: reference), credentials: nil, certificateDirectories: [])
        let result = try await store.withLease { () async throws(EstibaError) -> PullResult in try await puller.pull { _ in } }
        let report = await store.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        return result.image.id
    }

    /// Requests that write (everything but HEAD and GET).
    func writes(_ requests: [String]) -> [String] { requests.filter { !$0.hasPrefix("HEAD ") && !$0.hasPrefix("GET ") } }

    @Test func pushKeepsTheImageIDAndASecondPushSendsOnlyHeadsAndTheManifest() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry)
        defer { proxy.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let image = try await store.image("busybox:latest")

        let events = Events()
        let result = try await push(store, "\(proxy.host)/team/app:v1", events: events)
        #expect(result.imageID == image.id)
        #expect(events.all.first == .repository("\(proxy.host)/team/app"))
        #expect(events.layerStatuses.first == .preparing && events.layerStatuses.last == .pushed, "\(events.layerStatuses)")
        // Each blob asked about, then sent in one PUT; the manifest last.
        let first = proxy.requests
        #expect(first.contains("HEAD /v2/team/app/blobs/\(result.layers[0].digest)"), "\(first)")
        #expect(first.last == "PUT /v2/team/app/manifests/v1", "\(first)")
        #expect(first.filter { $0.hasPrefix("PUT /v2/team/app/blobs/uploads/") && $0.contains("digest=sha256") }.count == 2, "\(first)")
        #expect(!first.contains { $0.hasPrefix("PATCH") })

        // What the registry holds: an OCI manifest of a gzip layer and the unchanged config.
        let raw = try registry.inspect("team/app:v1", "--raw")
        #expect(Digest.of(raw) == result.digest && Int64(raw.count) == result.size)
        let manifest = try JSONValue.parse(raw)
        #expect(manifest["mediaType"]?.stringValue == MediaType.imageManifest)
        #expect(manifest["config"]?["digest"]?.stringValue == image.id.description)
        #expect(manifest["layers"]?.arrayValue?.first?["mediaType"]?.stringValue == MediaType.layerGzip)
        #expect(try registry.inspect("team/app:v1", "--config") == image.configBytes)
        let inspected = try run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.host)/team/app:v1"])
        #expect(try JSONValue.parse(Array(inspected.output.utf8))["Digest"]?.stringValue == result.digest.description, "\(inspected.output)")
        // skopeo copies it to an OCI layout, checking every digest; the config is ours.
        let copy = try temporaryDirectory("copy")
        defer { removeTree(copy) }
        let copied = try run("/usr/bin/skopeo", ["copy", "-q", "--src-tls-verify=false", "docker://\(registry.host)/team/app:v1", "oci:\(copy)/oci:v1"])
        #expect(copied.status == 0, "\(copied.output)")
        let index = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: copy + "/oci/index.json"))))
        let manifestDigest = try #require(index["manifests"]?.arrayValue?.first?["digest"]?.stringValue.flatMap { Digest($0) })
        let copiedManifest = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: copy + "/oci/blobs/sha256/" + manifestDigest.hex))))
        #expect(copiedManifest["config"]?["digest"]?.stringValue == image.id.description)

        // Pulled back into an empty store: the same image.
        #expect(try await pullBack("\(registry.host)/team/app:v1") == image.id)

        // Again: the compressed digest is remembered, so only HEADs and the manifest go out.
        proxy.clear()
        let again = Events()
        let second = try await push(store, "\(proxy.host)/team/app:v1", events: again)
        #expect(second.digest == result.digest)
        #expect(again.layerStatuses.last == .alreadyExists, "\(again.layerStatuses)")
        #expect(writes(proxy.requests) == ["PUT /v2/team/app/manifests/v1"], "\(proxy.requests)")
        #expect(proxy.requests.filter { $0.hasPrefix("HEAD ") }.count == 2, "\(proxy.requests)")
    }

    @Test func aSecondRepositoryOfTheRegistryMountsTheBlobs() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry)
        defer { proxy.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let first = try await push(store, "\(proxy.host)/a/one:1")
        proxy.clear()
        let events = Events()
        let second = try await push(store, "\(proxy.host)/b/two:1", events: events)
        #expect(second.digest == first.digest)
        #expect(events.layerStatuses.last == .mounted(from: "a/one"), "\(events.layerStatuses)")
        let mounts = proxy.requests.filter { $0.contains("mount=") }
        #expect(mounts.count == 2, "\(proxy.requests)")
        #expect(mounts.allSatisfy { $0.hasPrefix("POST /v2/b/two/blobs/uploads/?mount=sha256:") && $0.contains("from=a%2Fone") }, "\(mounts)")
        #expect(writes(proxy.requests).count == 3, "\(proxy.requests)")
        #expect(try await pullBack("\(registry.host)/b/two:1") == first.imageID)
    }

    @Test func largeBlobsGoInChunksWithContentRange() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry)
        defer { proxy.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let options = PushOptions(chunkThreshold: 100_000, chunkSize: 300_000)
        let result = try await push(store, "\(proxy.host)/chunked/app:1", options: options)
        let size = try #require(result.layers.first?.size)
        #expect(size > 600_000)
        let patches = proxy.requests.filter { $0.hasPrefix("PATCH ") }
        let expected = Int((size + 299_999) / 300_000)
        #expect(patches.count == expected, "\(proxy.requests)")
        #expect(patches.first?.hasSuffix(" 0-299999") == true && patches.dropFirst().first?.hasSuffix(" 300000-599999") == true, "\(patches)")
        #expect(patches.last?.hasSuffix(" \((Int64(expected) - 1) * 300_000)-\(size - 1)") == true, "\(patches)")
        // The small config went in one PUT.
        #expect(proxy.requests.filter { $0.hasPrefix("PUT ") && $0.contains("digest=") }.count == 2)
        #expect(try await pullBack("\(registry.host)/chunked/app:1") == result.imageID)
    }

    @Test func aCancelledPushLeavesNoTagNoScratchAndRemembersNothingUnsent() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let dir = try temporaryDirectory("cancel")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/tree", withIntermediateDirectories: true)
        var random = [UInt8](repeating: 0, count: 4 << 20)
        random.withUnsafeMutableBytes { b in
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            for i in b.indices {
                x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                b[i] = UInt8(truncatingIfNeeded: x >> 33)
            }
        }
        try Data(random).write(to: URL(fileURLWithPath: dir + "/tree/random"))
        let store = try ImageStore(root: dir + "/store")
        let layer = try await store.addLayer(from: dir + "/tree", overlayUpper: false)
        var config = ImageConfig(architecture: "amd64", os: "linux")
        config.diffIDs = [layer.diffID]
        config.history = [HistoryEntry(created: nil, comment: "random")]
        _ = try await store.add(config: config, layers: [(layer.diffID, layer.size)], reference: ImageReference(name: "random", tag: "latest"))

        // Small chunks make the upload long enough to cancel in its middle.
        let options = PushOptions(chunkThreshold: 16 << 10, chunkSize: 16 << 10)
        let events = Events()
        let target = "\(registry.host)/cancel/app:1"
        let task = Task { [store, events] in try await PushTests().push(store, target, image: "random:latest", options: options, events: events) }
        for _ in 0..<400 where !events.layerStatuses.contains(where: { if case .pushing(let b, _) = $0 { b > 0 } else { false } }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        await #expect {
            _ = try await task.value
        } throws: { e in
            (e as? EstibaError)?.code == .cancelled
        }
        #expect(events.layerStatuses.contains { if case .pushing = $0 { true } else { false } }, "\(events.layerStatuses)")
        let tagged = try run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/cancel/app:1"])
        #expect(tagged.status != 0)
        #expect(store.compressedLayer(diffID: layer.diffID, compression: .gzip) == nil)
        let scratch = try FileManager.default.contentsOfDirectory(atPath: dir + "/store/tmp").filter { $0.hasPrefix("push-") }
        #expect(scratch.isEmpty, "\(scratch)")
    }

    @Test func aRepeatedLayerIsSentOnceAndListedTwice() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry)
        defer { proxy.stop() }
        let layout = try await layeredLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let result = try await push(store, "\(proxy.host)/layers/app:1", image: "busybox:layers")
        #expect(result.layers.count == 3 && result.layers[1] == result.layers[2])
        // Two distinct layers and the config: three uploads.
        #expect(proxy.requests.filter { $0.hasPrefix("POST ") }.count == 3, "\(proxy.requests)")
        let manifest = try JSONValue.parse(try registry.inspect("layers/app:1", "--raw"))
        #expect(manifest["layers"]?.arrayValue?.count == 3)
        #expect(try await pullBack("\(registry.host)/layers/app:1") == result.imageID)
    }

    @Test func zstdLayersPullBack() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let result = try await push(store, "\(registry.host)/z/app:1", options: PushOptions(compression: .zstd))
        let manifest = try JSONValue.parse(try registry.inspect("z/app:1", "--raw"))
        #expect(manifest["layers"]?.arrayValue?.first?["mediaType"]?.stringValue == MediaType.layerZstd)
        #expect(result.layers.first?.mediaType == MediaType.layerZstd)
        #expect(try await pullBack("\(registry.host)/z/app:1") == result.imageID)
        // gzip and zstd forms are remembered apart.
        let diffID = try await store.image("busybox:latest").config.diffIDs[0]
        #expect(store.compressedLayer(diffID: diffID, compression: .zstd)?.digest == result.layers[0].digest)
        #expect(store.compressedLayer(diffID: diffID, compression: .gzip) == nil)
    }

    @Test func randomContentIsStoredAndCompressibleContentCompressed() async throws {
        let dir = try temporaryDirectory("compress")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/tree", withIntermediateDirectories: true)
        var random = [UInt8](repeating: 0, count: 3 << 20)
        for i in random.indices { random[i] = UInt8.random(in: 0...255) }
        try Data(random).write(to: URL(fileURLWithPath: dir + "/tree/random"))
        try String(repeating: "the same line again\n", count: 100_000).write(toFile: dir + "/tree/text", atomically: true, encoding: .utf8)
        let store = try ImageStore(root: dir + "/store")
        let layer = try await store.addLayer(from: dir + "/tree", overlayUpper: false)
        let (path, blob) = try await store.compressLayer(diffID: layer.diffID, compression: .gzip)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Random bytes cost their size, the text next to nothing.
        #expect(blob.size > 3 << 20 && blob.size < (3 << 20) + 200_000, "\(blob.size)")
        let unzipped = try run("/bin/sh", ["-c", "gzip -dc < \(path) | sha256sum"])
        #expect(unzipped.output.hasPrefix(layer.diffID.hex), "\(unzipped.output)")
        // The same layer always compresses to the same blob.
        let (again, blob2) = try await store.compressLayer(diffID: layer.diffID, compression: .gzip)
        try? FileManager.default.removeItem(atPath: again)
        #expect(blob2 == blob)
    }

    @Test func bearerPushAsksForPushScopeAndPullOnTheMountSource() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let proxy = try PushProxy(upstream: registry, tokens: true)
        defer { proxy.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        let store = try ImageStore(root: layout + "/store")
        let diffID = try await store.image("busybox:latest").config.diffIDs[0]

        // Without credentials: refused, with what to do, and nothing remembered or tagged.
        await #expect {
            _ = try await push(store, "\(proxy.host)/secure/app:1")
        } throws: { e in
            (e as? EstibaError)?.message.contains("estiba login \(proxy.host)") == true
        }
        #expect(store.compressedLayer(diffID: diffID, compression: .gzip) == nil)
        #expect(!proxy.requests.contains { $0.hasPrefix("PUT /v2/secure/app/manifests/") })

        let alice = RegistryCredentials(username: "alice", password: "s3cret")
        let result = try await push(store, "\(proxy.host)/secure/app:1", credentials: alice)
        #expect(proxy.tokenRequests.contains { $0.contains("scope=repository%3Asecure%2Fapp%3Apull%2Cpush") }, "\(proxy.tokenRequests)")
        let events = Events()
        _ = try await push(store, "\(proxy.host)/secure/other:1", credentials: alice, events: events)
        #expect(events.layerStatuses.last == .mounted(from: "secure/app"), "\(events.layerStatuses)")
        #expect(
            proxy.tokenRequests.contains {
                $0.contains("scope=repository%3Asecure%2Fother%3Apull%2Cpush") && $0.contains("scope=repository%3Asecure%2Fapp%3Apull")
            }, "\(proxy.tokenRequests)")
        #expect(try registry.inspect("secure/other:1", "--config") == (try await store.image("busybox:latest")).configBytes)
        _ = result
    }

    @Test func aPulledLayerIsMountedWithItsOwnDigestWithinTheRegistry() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "library/busybox:latest", ["--format", "v2s2"])
        let source = try JSONValue.parse(try registry.inspect("library/busybox:latest", "--raw"))
        let sourceLayer = try #require(source["layers"]?.arrayValue?.first?["digest"]?.stringValue)
        let root = try temporaryDirectory("pulled")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let puller = Puller(store: store, reference: try RemoteReference(parsing: "\(registry.host)/library/busybox"), credentials: nil, certificateDirectories: [])
        let pulled = try await store.withLease { () async throws(EstibaError) -> PullResult in try await puller.pull { _ in } }
        let events = Events()
        let result = try await push(store, "\(registry.host)/mine/busybox:1", image: "\(registry.host)/library/busybox:latest", events: events)
        #expect(events.layerStatuses.last == .mounted(from: "library/busybox"), "\(events.layerStatuses)")
        #expect(result.layers.first?.digest.description == sourceLayer)
        #expect(result.imageID == pulled.image.id)
    }
}
