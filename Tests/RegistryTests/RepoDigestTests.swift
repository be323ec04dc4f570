import EstibaJSON
import Foundation
import ImageStore
import Registry
import System
import Testing

/// Repository digests: what a pull records, how names find and remove them, and what `save`/`load` keep.
@Suite(.serialized) struct RepoDigestTests {
    func pull(_ store: ImageStore, _ reference: String) async throws -> PullResult {
        let puller = Puller(store: store, reference: try RemoteReference(parsing: reference), credentials: nil, certificateDirectories: [])
        return try await store.withLease { () async throws(EstibaError) -> PullResult in try await puller.pull { _ in } }
    }

    @Test func aPullByTagRecordsTheManifestDigestAndRmiFollowsDockersRules() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "team/app:1")
        let manifestDigest = Digest.of(try registry.inspect("team/app:1", "--raw"))
        let root = try temporaryDirectory("digests")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let name = "\(registry.host)/team/app"
        let pulled = try await pull(store, name + ":1")
        let expected = RepoDigest(name: name, digest: manifestDigest)
        #expect(pulled.image.repoDigests == [expected])
        #expect(try await store.image(name + ":1").repoDigests == [expected])
        #expect(try await store.images().map(\.repoDigests) == [[expected]])
        // The digest reference finds the image, with or without a tag before it.
        #expect(try await store.image(expected.description).id == pulled.image.id)
        #expect(try await store.image(name + ":1@" + manifestDigest.description).id == pulled.image.id)
        await #expect(throws: EstibaError.self) { _ = try await store.image(name + "@" + Digest.of("other").description) }
        // Pulled again: up to date, the digest recorded once.
        let again = try await pull(store, name + ":1")
        #expect(!again.downloaded && again.image.repoDigests == [expected])

        // Another tag of the same repository keeps the digest; removing the last tag takes it (and the image).
        _ = try await store.tag(name + ":1", as: try ImageReference(parsing: name + ":2"))
        #expect(try await store.remove(name + ":2", force: false) == [.untagged(try ImageReference(parsing: name + ":2"))])
        _ = try await store.tag(name + ":1", as: try ImageReference(parsing: "local/copy:1"))
        // The last tag of `name` goes: its digests go with it, the image stays under local/copy.
        #expect(try await store.remove(name + ":1", force: false) == [.untagged(try ImageReference(parsing: name + ":1")), .untaggedDigest(expected)])
        #expect(try await store.image("local/copy:1").repoDigests.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/repodigests.json")).count > 0)
    }

    @Test func aPullByDigestListsTheImageUntaggedAndRmiByDigestRemovesIt() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "pinned/app:1")
        let digest = Digest.of(try registry.inspect("pinned/app:1", "--raw"))
        let root = try temporaryDirectory("digests")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let reference = "\(registry.host)/pinned/app@\(digest)"
        let pulled = try await pull(store, reference)
        #expect(pulled.downloaded)
        let listed = try #require(try await store.images().first)
        #expect(listed.references.isEmpty && listed.repoDigests.map(\.description) == [reference])
        let again = try await pull(store, reference)
        #expect(!again.downloaded)
        // Its only name: removing it removes the image.
        let events = try await store.remove(reference, force: false)
        #expect(events == [.untaggedDigest(RepoDigest(name: "\(registry.host)/pinned/app", digest: digest)), .deleted(pulled.image.id)])
        #expect(try await store.images().isEmpty)
        let table = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/repodigests.json"))))
        #expect(table["images"]?.objectValue?.isEmpty == true)

        // Pulled by digest and tagged too: rmi by digest only untags the digest.
        _ = try await pull(store, reference)
        _ = try await store.tag(reference, as: try ImageReference(parsing: "kept:1"))
        #expect(try await store.remove(reference, force: false) == [.untaggedDigest(try RepoDigest(parsing: reference))])
        #expect(try await store.image("kept:1").repoDigests.isEmpty)
    }

    @Test func anIndexDigestIsTheOneRecordedAndSaveLoadDropsDigests() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "multi/app:base", ["--format", "oci"])
        let manifestBytes = try registry.inspect("multi/app:base", "--raw")
        let index: JSONValue = [
            "schemaVersion": 2, "mediaType": .string(MediaType.imageIndex),
            "manifests": [[
                "mediaType": .string(MediaType.imageManifest), "digest": .string(Digest.of(manifestBytes).description),
                "size": .int(Int64(manifestBytes.count)),
                "platform": ["os": "linux", "architecture": .string(HostPlatform.architecture)],
            ]],
        ]
        try registry.push(repository: "multi/app", blobs: [], manifest: index.encoded(), mediaType: MediaType.imageIndex, reference: "latest")
        let root = try temporaryDirectory("digests")
        defer { removeTree(root) }
        let store = try ImageStore(root: root)
        let pulled = try await pull(store, "\(registry.host)/multi/app")
        #expect(pulled.image.repoDigests == [RepoDigest(name: "\(registry.host)/multi/app", digest: Digest.of(index.encoded()))])

        // Docker keeps no repository digests across save and load.
        let archive = root + "/saved.tar"
        _ = try await store.withLease { () async throws(EstibaError) in try await store.save(["\(registry.host)/multi/app:latest"], to: archive, format: .dockerArchive) }
        let other = try temporaryDirectory("digests-load")
        defer { removeTree(other) }
        let second = try ImageStore(root: other)
        _ = try await second.withLease { () async throws(EstibaError) in try await second.load(from: archive) }
        #expect(try await second.image("\(registry.host)/multi/app:latest").repoDigests.isEmpty)

        // The store API a push uses.
        let pushed = RepoDigest(name: "example.com/team/app", digest: Digest.of("pushed"))
        try await store.addRepoDigest(image: pulled.image.id, name: pushed.name, digest: pushed.digest)
        #expect(try await store.image(pushed.description).id == pulled.image.id)
        await #expect(throws: EstibaError.self) { try await store.addRepoDigest(image: Digest.of("none"), name: "x", digest: pushed.digest) }
    }
}
