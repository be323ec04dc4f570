import ImageStore
import System

/// What a reference resolved to: the digest it names (the index's, for an index), the image manifest chosen, and
/// its config, exact bytes and parsed.
struct ResolvedImage: Sendable {
    var digest: Digest
    var manifest: Manifest
    var configBytes: [UInt8]
    var config: ImageConfig
}

/// Resolving a reference: the manifest (through an index, for the platform wanted), checked against a pinned
/// digest; schema 1, artifacts, foreign and unknown layers refused; the config fetched and checked.
extension Puller {
    /// Accepted manifest media types, most wanted first.
    static let manifestTypes = [MediaType.imageIndex, MediaType.dockerManifestList, MediaType.imageManifest, MediaType.dockerManifest]

    /// The image `reference` names, for the platform wanted, with every document checked against its digest.
    func resolve(shown: String) async throws(EstibaError) -> ResolvedImage {
        let top = try await fetchManifest(reference.digest?.description ?? reference.tag ?? "latest", pinned: reference.digest, shown: shown)
        let topDigest = Digest.of(top.bytes)
        var manifestBytes = top.bytes
        if try ManifestKind.of(top.bytes, contentType: top.contentType, reference: shown) == .index {
            let chosen = try choose(from: ImageIndex(bytes: top.bytes, document: "the index of \(shown)"), shown: shown)
            let child = try await fetchManifest(chosen.digest.description, pinned: chosen.digest, shown: shown)
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
        // An image already stored has its config here: no request for it.
        let configBytes: [UInt8]
        if let local = await store.image(id: manifest.config.digest)?.configBytes, Digest.of(local) == manifest.config.digest {
            configBytes = local
        } else {
            configBytes = try await fetchConfig(manifest.config, shown: shown)
        }
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
        return ResolvedImage(digest: topDigest, manifest: manifest, configBytes: configBytes, config: config)
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

    /// GETs the manifest `ref` (a tag, or the digest `pinned`) from the first source that has it (see `sources`),
    /// checked against `pinned`.
    func fetchManifest(_ ref: String, pinned: Digest?, shown: String) async throws(EstibaError) -> (bytes: [UInt8], contentType: String?) {
        let sources = sources(byDigest: pinned != nil)
        for (n, source) in sources.enumerated() {
            do throws(EstibaError) {
                let got = try await fetchManifest(ref, from: source, shown: shown)
                if let pinned, pinned != Digest.of(got.bytes) {
                    let what = pinned == reference.digest ? "The manifest of \(shown)" : "A manifest of \(shown)"
                    throw .digestMismatch(what, expected: pinned, actual: Digest.of(got.bytes), host: source.domain)
                }
                return got
            } catch {
                if !passOver(error, last: n == sources.count - 1) { throw error }
            }
        }
        throw .registryUnreachable(reference.domain, "no source to ask")
    }

    /// GETs the manifest `ref` (a tag or digest) from the registry or a mirror.
    func fetchManifest(_ ref: String, from client: RegistryClient, shown: String) async throws(EstibaError) -> (bytes: [UInt8], contentType: String?) {
        let body = MemoryReceiver(limit: 4 << 20, what: "The manifest of \(shown)")
        let response = try await client.get("\(reference.repository)/manifests/\(ref)", accept: Self.manifestTypes, receiver: body)
        guard response.status != 404 else {
            let what = ref.hasPrefix("sha256:") ? "The manifest \(ref) of \(reference.repository)" : "\(reference.repository):\(ref)"
            throw .registryUnknown(what, host: client.domain, repository: reference.repository)
        }
        return (body.bytes, response.header("Content-Type"))
    }

    /// GETs the config blob from the first source that has it (see `sources`), checked against its digest.
    func fetchConfig(_ descriptor: Descriptor, shown: String) async throws(EstibaError) -> [UInt8] {
        let sources = sources(byDigest: true)
        for (n, source) in sources.enumerated() {
            do throws(EstibaError) {
                return try await fetchConfig(descriptor, from: source, shown: shown)
            } catch {
                if !passOver(error, last: n == sources.count - 1) { throw error }
            }
        }
        throw .registryUnreachable(reference.domain, "no source to ask")
    }

    /// GETs the config blob from the registry or a mirror, checked against its digest.
    func fetchConfig(_ descriptor: Descriptor, from client: RegistryClient, shown: String) async throws(EstibaError) -> [UInt8] {
        let body = MemoryReceiver(limit: 16 << 20, what: "The config of \(shown)")
        let response = try await client.get("\(reference.repository)/blobs/\(descriptor.digest)", receiver: body)
        guard response.status != 404 else {
            throw .registryUnknown("The config of \(shown)", host: client.domain, repository: reference.repository)
        }
        let bytes = body.bytes
        guard Digest.of(bytes) == descriptor.digest else {
            throw .digestMismatch("The config of \(shown)", expected: descriptor.digest, actual: Digest.of(bytes), host: client.domain)
        }
        return bytes
    }
}
