import EstibaJSON
import Fetch
import ImageStore
import System

/// Pulls an image from a registry into the store: the manifest (through an index, for the platform wanted), the
/// config, and the layers not stored yet — each blob hashed as it streams and checked against its digest, each
/// layer's uncompressed digest checked against the config's diff IDs. Everything is written under the store's
/// lease; the tag is written last, so a failed pull leaves no tag and nothing half extracted.
public struct Puller: Sendable {
    public let store: ImageStore
    public internal(set) var reference: RemoteReference
    /// The platform asked for; nil: this machine's.
    public var platform: PullPlatform?
    /// How many layers download at once.
    public var parallelDownloads: Int
    let client: RegistryClient
    /// The registry's mirrors, in the order the registries config gives them.
    let mirrors: [MirrorClient]

    /// `certificateDirectories`: where hosts' own certificate authorities are (`certs.d/HOST/ca.crt`); by default
    /// containers' (under `$HOME` and `/etc`) and Docker's. `hosts`: the registries config (mirrors, TLS, plain
    /// HTTP); `parallelDownloads`: nil for the config's (3 unless it says otherwise).
    public init(
        store: ImageStore, reference: RemoteReference, credentials: CredentialLookup, platform: PullPlatform? = nil,
        parallelDownloads: Int? = nil, certificateDirectories: [String]? = nil, hosts: HostsConfiguration = HostsConfiguration()
    ) {
        self.store = store
        self.reference = reference
        self.platform = platform
        self.parallelDownloads = max(1, parallelDownloads ?? hosts.parallelDownloads(for: reference.domain))
        let directories = certificateDirectories ?? RegistryEndpoint.certificateDirectories(home: Environment.value("HOME"))
        client = RegistryClient(reference: reference, credentials: credentials, certificateDirectories: directories, hosts: hosts)
        mirrors = hosts.settings(for: reference.domain).mirrors.map { m in
            MirrorClient(
                client: RegistryClient(
                    reference: RemoteReference(domain: m.host, repository: reference.repository), credentials: CredentialLookup(nil as RegistryCredentials?),
                    certificateDirectories: directories, hosts: hosts),
                resolve: m.resolve)
        }
    }

    /// A puller with credentials known up front (or none).
    public init(
        store: ImageStore, reference: RemoteReference, credentials: RegistryCredentials?, platform: PullPlatform? = nil,
        parallelDownloads: Int? = nil, certificateDirectories: [String]? = nil, hosts: HostsConfiguration = HostsConfiguration()
    ) {
        self.init(
            store: store, reference: reference, credentials: CredentialLookup(credentials), platform: platform,
            parallelDownloads: parallelDownloads, certificateDirectories: certificateDirectories, hosts: hosts)
    }

    /// Pulls the image, reporting progress to `onEvent`.
    public func pull(onEvent: @escaping @Sendable (PullEvent) -> Void) async throws(EstibaError) -> PullResult {
        let shown = reference.familiarName + (reference.tag.map { ":" + $0 } ?? "") + (reference.digest.map { "@" + $0.description } ?? "")
        let image = try await resolve(shown: shown)
        if let base = try? await client.baseURL() { RegistryEndpoint.remember(host: client.host, base: base) }
        onEvent(.resolving(tagOrDigest: reference.digest?.description ?? reference.tag ?? "latest", repository: reference.repository))
        let pinned = RepoDigest(name: reference.familiarName, digest: image.digest)
        let existing: ImageRecord? =
            if let local = reference.localReference { try? await store.image(local.description) } else { try? await store.image(pinned.description) }
        if let existing, existing.id == image.manifest.config.digest {
            return PullResult(reference: reference, digest: image.digest, image: try await recordDigest(of: existing), downloaded: false)
        }
        let record = try await store.withLease { () async throws(EstibaError) -> ImageRecord in
            try await recordDigest(of: try await receive(image, shown: shown, onEvent: onEvent))
        }
        return PullResult(reference: reference, digest: image.digest, image: record, downloaded: true)

        /// The image with the digest it was pulled by recorded (Docker's `RepoDigests`).
        func recordDigest(of record: ImageRecord) async throws(EstibaError) -> ImageRecord {
            guard !record.repoDigests.contains(pinned) else { return record }
            try await store.addRepoDigest(image: record.id, name: pinned.name, digest: pinned.digest)
            var record = record
            record.repoDigests = (record.repoDigests.filter { $0 != pinned } + [pinned]).sorted()
            return record
        }
    }

    /// Downloads, stores and extracts the layers not stored yet, then lists the image.
    func receive(_ image: ResolvedImage, shown: String, onEvent: @escaping @Sendable (PullEvent) -> Void) async throws(EstibaError) -> ImageRecord {
        let manifest = image.manifest
        let config = image.config
        var missing: [Int] = []
        var present: [Digest: Int64] = [:]
        for (i, layer) in manifest.layers.enumerated() {
            let diffID = config.diffIDs[i]
            if present[diffID] == nil, !missing.contains(where: { config.diffIDs[$0] == diffID }),
                let size = try await store.holdStoredLayer(diffID: diffID)
            {
                present[diffID] = size
            }
            if present[diffID] != nil || missing.contains(where: { config.diffIDs[$0] == diffID }) {
                onEvent(.layer(id: layer.digest, .alreadyExists))
            } else {
                missing.append(i)
                onEvent(.layer(id: layer.digest, .waiting))
            }
        }
        let stored = try await download(missing, manifest: manifest, diffIDs: config.diffIDs, shown: shown, onEvent: onEvent)
        // A layer the image repeats was downloaded once: every index of its diff ID uses that.
        var byDiffID: [Digest: (digest: Digest, size: Int64)] = [:]
        for (i, layer) in stored where i >= 0 && i < config.diffIDs.count { byDiffID[config.diffIDs[i]] = layer }
        let layers = config.diffIDs.map { diffID in byDiffID[diffID] ?? (diffID, present[diffID] ?? 0) }
        return try await store.addReceived(configBytes: image.configBytes, layers: layers, references: reference.localReference.map { [$0] } ?? [])
    }
}
