import Fetch
import ImageStore
import Synchronization
import System

/// Layer downloads: a few at once, each into the store's `tmp/`, hashed as it streams, checked, then stored.
extension Puller {
    /// Downloads the layers at `indices`, `parallelDownloads` at a time, and stores and extracts each; by index.
    /// Each finished layer is recorded as it completes (`StoredLayers`); the first failure stops the others.
    func download(
        _ indices: [Int], manifest: Manifest, diffIDs: [Digest], shown: String, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> [Int: (digest: Digest, size: Int64)] {
        let cancellation = PullCancellation()
        let stored = StoredLayers()
        let parallel = parallelDownloads
        let failure: EstibaError? = await withTaskCancellationHandler {
            await withTaskGroup(of: EstibaError?.self) { group in
                var pending = indices[...]
                var failure: EstibaError?
                for _ in 0..<parallel {
                    guard let i = pending.popFirst() else { break }
                    group.addTask { await self.fetchAndRecord(i, manifest: manifest, diffIDs: diffIDs, shown: shown, cancellation: cancellation, into: stored, onEvent: onEvent) }
                }
                for await result in group {
                    if let e = result {
                        if failure == nil || failure?.code == .cancelled { failure = e }
                        cancellation.set()
                    } else if failure == nil, let i = pending.popFirst() {
                        group.addTask { await self.fetchAndRecord(i, manifest: manifest, diffIDs: diffIDs, shown: shown, cancellation: cancellation, into: stored, onEvent: onEvent) }
                    }
                }
                return failure
            }
        } onCancel: {
            cancellation.set()
        }
        if let failure { throw failure }
        return stored.all
    }

    /// `fetchLayer`, its result recorded in `stored`; the failure, if any.
    func fetchAndRecord(
        _ index: Int, manifest: Manifest, diffIDs: [Digest], shown: String, cancellation: PullCancellation, into stored: StoredLayers,
        onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async -> EstibaError? {
        do throws(EstibaError) {
            stored.set(index, try await fetchLayer(index, of: manifest, diffIDs: diffIDs, shown: shown, cancellation: cancellation, onEvent: onEvent))
            return nil
        } catch {
            return error
        }
    }

    /// Downloads layer `index` into the store's `tmp/` — a compressed layer decompressed as it arrives — checks
    /// its digest, stores it as its diff ID, and extracts it.
    func fetchLayer(
        _ index: Int, of manifest: Manifest, diffIDs: [Digest], shown: String, cancellation: PullCancellation,
        onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> (digest: Digest, size: Int64) {
        let layer = manifest.layers[index]
        let diffID = diffIDs[index]
        let id = layer.digest
        var path: String?
        if layer.mediaType != MediaType.layer, layer.mediaType != MediaType.dockerLayer {
            path = try await receiveDecompressing(layer, shown: shown, cancellation: cancellation, onEvent: onEvent)
        }
        if path == nil { path = try await receive(layer, shown: shown, cancellation: cancellation, onEvent: onEvent) }
        guard let path else { throw EstibaError(.internal, "Layer \(layer.digest.short) of \(shown) was not received.") }
        onEvent(.layer(id: id, .downloaded))
        let stored: (digest: Digest, size: Int64)
        do {
            stored = try await store.storeLayer(downloaded: path, diffID: diffID)
        } catch {
            guard error.code == .badInput else { throw error }
            throw EstibaError(
                .badInput,
                "Layer \(layer.digest.short) of \(shown) does not unpack to \(diffID), the diff ID its config gives (\(error.message)); nothing was kept. Get the image from a source you trust.",
                context: ["reference": shown, "digest": layer.digest.description])
        }
        rememberSource(of: layer, diffID: diffID)
        onEvent(.layer(id: id, .extracting))
        try await store.extractLayer(diffIDs: diffIDs, index: index)
        onEvent(.layer(id: id, .complete))
        return stored
    }

    /// Downloads a compressed layer straight into a decompressor: the staging file then holds it uncompressed,
    /// and the compressed bytes were never written. Nil when that did not work out for a reason a plain download
    /// may not meet (a transfer that had to start over, data the decompressor refused): `receive` then tries.
    func receiveDecompressing(
        _ layer: Descriptor, shown: String, cancellation: PullCancellation, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> String? {
        let path = try await store.incomingFile()
        let decompressor: LayerDecompressor
        do { decompressor = try LayerDecompressor(path: path) } catch {
            try? Files.remove(path)
            return nil
        }
        let id = layer.digest
        let total = layer.size
        let receiver = BlobReceiver(decompressor: decompressor, expectedSize: total, cancelled: cancellation) { bytes in
            onEvent(.layer(id: id, .downloading(bytes: bytes, total: total)))
        }
        do throws(EstibaError) {
            try await fetchVerified(layer, into: receiver, shown: shown, onEvent: onEvent)
        } catch {
            let restart = error.context[BlobReceiver.restartNeeded] != nil
            // The decompressor's own failure (it stopped reading) is a reason to try the plain way.
            let refused: Bool
            do throws(EstibaError) { _ = try await decompressor.finish(); refused = false } catch { refused = true }
            try? Files.remove(path)
            if error.code == .cancelled || cancellation.isSet || !(restart || refused) { throw error }
            return nil
        }
        do throws(EstibaError) {
            _ = try await decompressor.finish()
        } catch {
            try? Files.remove(path)
            return nil
        }
        return path
    }

    /// Downloads a layer as it is into a staging file, checked against its digest; returns the file.
    func receive(
        _ layer: Descriptor, shown: String, cancellation: PullCancellation, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> String {
        let path = try await store.incomingFile()
        var kept = false
        defer { if !kept { try? Files.remove(path) } }
        let id = layer.digest
        let total = layer.size
        let receiver = try BlobReceiver(path: path, expectedSize: total, cancelled: cancellation) { bytes in
            onEvent(.layer(id: id, .downloading(bytes: bytes, total: total)))
        }
        try await fetchVerified(layer, into: receiver, shown: shown, onEvent: onEvent)
        kept = true
        return path
    }

    /// GETs a layer blob into `receiver` from the first source that has it (see `sources`) and checks its digest
    /// and size; what an earlier source sent is not kept.
    func fetchVerified(
        _ layer: Descriptor, into receiver: BlobReceiver, shown: String, onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) {
        let sources = sources(byDigest: true)
        for (n, source) in sources.enumerated() {
            do throws(EstibaError) {
                if n > 0 { try receiver.reset() }
                _ = try await fetchBlob(layer.digest, from: source, into: receiver, what: "Layer \(layer.digest.short) of \(shown)")
                onEvent(.layer(id: layer.digest, .verifying))
                let got = try receiver.finish()
                guard got.digest == layer.digest, got.size == layer.size else {
                    throw .digestMismatch("Layer \(layer.digest.short) of \(shown)", expected: layer.digest, actual: got.digest, host: source.domain)
                }
                return
            } catch {
                if error.context[BlobReceiver.restartNeeded] != nil || !passOver(error, last: n == sources.count - 1) { throw error }
            }
        }
    }

    /// GETs a blob from the registry or a mirror into `receiver` (which the client empties before each new attempt).
    func fetchBlob(_ digest: Digest, from client: RegistryClient, into receiver: BlobReceiver, what: String) async throws(EstibaError) -> HTTPResponse {
        let response = try await client.get("\(reference.repository)/blobs/\(digest)", cancellation: receiver.cancelled, receiver: receiver)
        guard response.status != 404 else {
            throw .registryUnknown("\(what) (blob \(digest.short))", host: client.domain, repository: reference.repository)
        }
        return response
    }

    /// Remembers the compressed blob the layer came as, and the repository holding it, so a push to this registry
    /// mounts it instead of sending it (a hint: a failure to write it is not the pull's).
    func rememberSource(of layer: Descriptor, diffID: Digest) {
        let compression: LayerCompression? =
            switch layer.mediaType {
            case MediaType.layerGzip, MediaType.dockerLayerGzip: .gzip
            case MediaType.layerZstd: .zstd
            default: nil
            }
        guard let compression else { return }
        try? store.rememberCompressed(
            diffID: diffID, compression: compression, blob: CompressedBlob(digest: layer.digest, size: layer.size, mediaType: compression.mediaType))
        try? store.rememberSource(layer.digest, host: client.host, repository: reference.repository)
    }
}

/// The layers a pull stored so far, by index in the manifest.
final class StoredLayers: Sendable {
    private let layers = Mutex<[Int: (digest: Digest, size: Int64)]>([:])
    func set(_ index: Int, _ layer: (digest: Digest, size: Int64)) { layers.withLock { $0[index] = layer } }
    var all: [Int: (digest: Digest, size: Int64)] { layers.withLock { $0 } }
}
