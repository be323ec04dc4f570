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
    public let reference: RemoteReference
    /// The platform asked for; nil: this machine's.
    public var platform: PullPlatform?
    /// How many layers download at once.
    public var parallelDownloads: Int
    let client: RegistryClient

    public init(
        store: ImageStore, reference: RemoteReference, credentials: RegistryCredentials?, platform: PullPlatform? = nil,
        parallelDownloads: Int = 3
    ) {
        self.store = store
        self.reference = reference
        self.platform = platform
        self.parallelDownloads = max(1, parallelDownloads)
        client = RegistryClient(reference: reference, credentials: credentials)
    }

    /// Accepted manifest media types, most wanted first.
    static let manifestTypes = [MediaType.imageIndex, MediaType.dockerManifestList, MediaType.imageManifest, MediaType.dockerManifest]

    /// Pulls the image, reporting progress to `onEvent`.
    public func pull(onEvent: @escaping @Sendable (PullEvent) -> Void) async throws(EstibaError) -> PullResult {
        let shown = reference.familiarName + (reference.tag.map { ":" + $0 } ?? "") + (reference.digest.map { "@" + $0.description } ?? "")
        let top = try await fetchManifest(reference.digest?.description ?? reference.tag ?? "latest", shown: shown)
        let topDigest = Digest.of(top.bytes)
        if let pinned = reference.digest, pinned != topDigest {
            throw .digestMismatch("The manifest of \(shown)", expected: pinned, actual: topDigest, host: reference.domain)
        }
        var manifestBytes = top.bytes
        if try ManifestKind.of(top.bytes, contentType: top.contentType, reference: shown) == .index {
            let chosen = try choose(from: ImageIndex(bytes: top.bytes, document: "the index of \(shown)"), shown: shown)
            let child = try await fetchManifest(chosen.digest.description, shown: shown)
            guard Digest.of(child.bytes) == chosen.digest else {
                throw .digestMismatch("A manifest of \(shown)", expected: chosen.digest, actual: Digest.of(child.bytes), host: reference.domain)
            }
            guard try ManifestKind.of(child.bytes, contentType: child.contentType, reference: shown) == .image else {
                throw .registryBadResponse(reference.domain, "an index inside the index of \(shown), which Estiba does not follow")
            }
            manifestBytes = child.bytes
        }
        let manifest = try Manifest(bytes: manifestBytes, document: "the manifest of \(shown)")
        guard ManifestKind.configTypes.contains(manifest.config.mediaType) else {
            throw EstibaError(
                .failedPrecondition, "\(shown) is not a container image (its config has media type \(manifest.config.mediaType)).",
                context: ["reference": shown])
        }
        for layer in manifest.layers {
            if ManifestKind.isForeign(layer.mediaType) {
                throw EstibaError(
                    .failedPrecondition,
                    "\(shown) has a foreign layer (\(layer.mediaType)) that lives outside the registry; Estiba does not pull those.",
                    context: ["reference": shown])
            }
            guard MediaType.layerTypes.contains(layer.mediaType) else {
                throw EstibaError(
                    .failedPrecondition, "\(shown) has a layer of media type \(layer.mediaType), which Estiba cannot unpack.",
                    context: ["reference": shown])
            }
        }
        let configBytes = try await fetchConfig(manifest.config, shown: shown)
        let config = try ImageConfig(bytes: configBytes, document: "the config of \(shown)")
        guard config.diffIDs.count == manifest.layers.count else {
            throw .registryBadResponse(
                reference.domain, "a manifest of \(shown) with \(manifest.layers.count) layers for a config listing \(config.diffIDs.count)")
        }
        if let platform, top.bytes == manifestBytes, platform.fit(Platform(architecture: config.architecture, os: config.os, variant: config.variant)) == nil {
            throw EstibaError(
                .notFound, "\(shown) is for \(config.os)/\(config.architecture)\(config.variant.map { "/" + $0 } ?? ""), not \(platform).",
                context: ["reference": shown])
        }
        onEvent(.resolving(tagOrDigest: reference.digest?.description ?? reference.tag ?? "latest", repository: reference.repository))
        let id = manifest.config.digest
        let local = reference.localReference
        if let local, let existing = try? await store.image(local.description), existing.id == id {
            return PullResult(reference: reference, digest: topDigest, image: existing, downloaded: false)
        }
        let record = try await store.withLease { () async throws(EstibaError) -> ImageRecord in
            try await receive(manifest: manifest, config: config, configBytes: configBytes, shown: shown, onEvent: onEvent)
        }
        return PullResult(reference: reference, digest: topDigest, image: record, downloaded: true)
    }

    /// Downloads and stores the layers not stored yet, then lists the image.
    func receive(
        manifest: Manifest, config: ImageConfig, configBytes: [UInt8], shown: String, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> ImageRecord {
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
        var layers: [(digest: Digest, size: Int64)] = []
        for (i, diffID) in config.diffIDs.enumerated() {
            if let s = stored[i] ?? stored.first(where: { config.diffIDs[$0.key] == diffID })?.value {
                layers.append(s)
            } else {
                layers.append((diffID, present[diffID] ?? 0))
            }
        }
        for i in missing { onEvent(.layer(id: manifest.layers[i].digest, .extracting)) }
        let record = try await store.addReceived(configBytes: configBytes, layers: layers, references: reference.localReference.map { [$0] } ?? [])
        for i in missing { onEvent(.layer(id: manifest.layers[i].digest, .complete)) }
        return record
    }

    /// Downloads the layers at `indices`, `parallelDownloads` at a time, and stores each; by index.
    func download(
        _ indices: [Int], manifest: Manifest, diffIDs: [Digest], shown: String, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> [Int: (digest: Digest, size: Int64)] {
        let cancellation = PullCancellation()
        let outcome: Result<[Int: (digest: Digest, size: Int64)], EstibaError> = await withTaskCancellationHandler {
            await withTaskGroup(of: (Int, Result<(digest: Digest, size: Int64), EstibaError>).self) { group in
                var pending = indices[...]
                var stored: [Int: (digest: Digest, size: Int64)] = [:]
                var failure: EstibaError?
                func start() {
                    guard let i = pending.popFirst() else { return }
                    group.addTask {
                        do throws(EstibaError) {
                            return (i, .success(try await self.fetchLayer(manifest.layers[i], diffID: diffIDs[i], shown: shown, cancellation: cancellation, onEvent: onEvent)))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                for _ in 0..<parallelDownloads { start() }
                for await (i, result) in group {
                    switch result {
                    case .success(let s):
                        stored[i] = s
                        if failure == nil { start() }
                    case .failure(let e):
                        if failure == nil || failure?.code == .cancelled { failure = e }
                        cancellation.set()
                    }
                }
                if let failure { return .failure(failure) }
                return .success(stored)
            }
        } onCancel: {
            cancellation.set()
        }
        return try outcome.get()
    }

    /// Downloads one layer blob into the store's `tmp/`, checks its digest, and stores it as its diff ID.
    func fetchLayer(
        _ layer: Descriptor, diffID: Digest, shown: String, cancellation: PullCancellation, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> (digest: Digest, size: Int64) {
        let path = try await store.incomingFile()
        var consumed = false
        defer { if !consumed { try? Files.remove(path) } }
        let id = layer.digest
        let total = layer.size
        let receiver = try BlobReceiver(path: path, expectedSize: total, cancelled: cancellation) { bytes in
            onEvent(.layer(id: id, .downloading(bytes: bytes, total: total)))
        }
        _ = try await fetchBlob(layer.digest, into: receiver, what: "Layer \(layer.digest.short) of \(shown)")
        onEvent(.layer(id: id, .verifying))
        let got = try receiver.finish()
        guard got.digest == layer.digest, got.size == layer.size else {
            throw .digestMismatch("Layer \(layer.digest.short) of \(shown)", expected: layer.digest, actual: got.digest, host: reference.domain)
        }
        onEvent(.layer(id: id, .downloaded))
        consumed = true
        do {
            return try await store.storeLayer(downloaded: path, diffID: diffID)
        } catch {
            guard error.code == .badInput else { throw error }
            throw EstibaError(
                .badInput,
                "Layer \(layer.digest.short) of \(shown) does not unpack to \(diffID), the diff ID its config gives (\(error.message)); nothing was kept. Get the image from a source you trust.",
                context: ["reference": shown, "digest": layer.digest.description])
        }
    }

    /// GETs a blob into `receiver`, trying again (from the start) up to 3 times after a broken transfer or a
    /// server error.
    func fetchBlob(_ digest: Digest, into receiver: BlobReceiver, what: String) async throws(EstibaError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            do throws(EstibaError) {
                let response = try await client.get("\(reference.repository)/blobs/\(digest)", cancellation: receiver.cancelled, receiver: receiver)
                guard response.status != 404 else {
                    throw .registryUnknown("\(what) (blob \(digest.short))", host: reference.domain, repository: reference.repository)
                }
                return response
            } catch {
                guard attempt < 3, error.code == .unavailable, !receiver.cancelled.isSet else { throw error }
                do { try await Task.sleep(for: .milliseconds(250 << attempt)) } catch { throw EstibaError.cancelled }
                try receiver.reset()
            }
        }
    }

    /// The index entry for the platform wanted (this machine's unless one was asked for).
    func choose(from index: ImageIndex, shown: String) throws(EstibaError) -> Descriptor {
        let wanted = platform ?? .host
        var best: (Descriptor, Int)?
        for d in index.manifests {
            guard let p = d.platform, let fit = wanted.fit(p) else { continue }
            if best.map({ fit > $0.1 }) ?? true { best = (d, fit) }
        }
        guard let chosen = best?.0 else {
            let offered = index.manifests.compactMap { $0.platform.map { $0.os + "/" + $0.architecture + ($0.variant.map { "/" + $0 } ?? "") } }
            throw EstibaError(
                .notFound,
                "\(shown) has no image for \(wanted) (it offers \(offered.isEmpty ? "none" : offered.joined(separator: ", "))); pass --platform to pick one.",
                context: ["reference": shown])
        }
        return chosen
    }

    /// GETs the manifest `ref` (a tag or digest).
    func fetchManifest(_ ref: String, shown: String) async throws(EstibaError) -> (bytes: [UInt8], contentType: String?) {
        let body = MemoryReceiver(limit: 4 << 20, what: "The manifest of \(shown)")
        let response = try await client.get("\(reference.repository)/manifests/\(ref)", accept: Self.manifestTypes, receiver: body)
        guard response.status != 404 else {
            let what = ref.hasPrefix("sha256:") ? "The manifest \(ref) of \(reference.repository)" : "\(reference.repository):\(ref)"
            throw .registryUnknown(what, host: reference.domain, repository: reference.repository)
        }
        return (body.bytes, response.header("Content-Type"))
    }

    /// GETs the config blob, checked against its digest.
    func fetchConfig(_ descriptor: Descriptor, shown: String) async throws(EstibaError) -> [UInt8] {
        let body = MemoryReceiver(limit: 16 << 20, what: "The config of \(shown)")
        let response = try await client.get("\(reference.repository)/blobs/\(descriptor.digest)", receiver: body)
        guard response.status != 404 else {
            throw .registryUnknown("The config of \(shown)", host: reference.domain, repository: reference.repository)
        }
        let bytes = body.bytes
        guard Digest.of(bytes) == descriptor.digest else {
            throw .digestMismatch("The config of \(shown)", expected: descriptor.digest, actual: Digest.of(bytes), host: reference.domain)
        }
        return bytes
    }
}
