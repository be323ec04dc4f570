import Fetch
import ImageStore
import System

/// Layer downloads: a few at once, each into the store's `tmp/`, hashed as it streams, checked, then stored.
extension Puller {
    /// Downloads the layers at `indices`, `parallelDownloads` at a time, and stores and extracts each; by index.
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
                            return (i, .success(try await self.fetchLayer(i, of: manifest, diffIDs: diffIDs, shown: shown, cancellation: cancellation, onEvent: onEvent)))
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

    /// Downloads layer `index` into the store's `tmp/`, checks its digest, stores it as its diff ID, and extracts it.
    func fetchLayer(
        _ index: Int, of manifest: Manifest, diffIDs: [Digest], shown: String, cancellation: PullCancellation,
        onEvent: @escaping @Sendable (PullEvent) -> Void
    ) async throws(EstibaError) -> (digest: Digest, size: Int64) {
        let layer = manifest.layers[index]
        let diffID = diffIDs[index]
        let path = try await store.incomingFile()
        var consumed = false
        defer { if !consumed { try? Files.remove(path) } }
        let id = layer.digest
        let total = layer.size
        let receiver = try BlobReceiver(path: path, expectedSize: total, cancelled: cancellation) { bytes in
            onEvent(.layer(id: id, .downloading(bytes: bytes, total: total)))
        }
        var first = true
        _ = try await fromMirrorsFirst(byDigest: true) { client throws(EstibaError) in
            // What an earlier source sent is not kept.
            if !first { try receiver.reset() }
            first = false
            _ = try await fetchBlob(layer.digest, from: client, into: receiver, what: "Layer \(layer.digest.short) of \(shown)")
            onEvent(.layer(id: id, .verifying))
            let got = try receiver.finish()
            guard got.digest == layer.digest, got.size == layer.size else {
                throw .digestMismatch("Layer \(layer.digest.short) of \(shown)", expected: layer.digest, actual: got.digest, host: client.domain)
            }
        }
        onEvent(.layer(id: id, .downloaded))
        consumed = true
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
        onEvent(.layer(id: id, .extracting))
        try await store.extractLayer(diffIDs: diffIDs, index: index)
        onEvent(.layer(id: id, .complete))
        return stored
    }

    /// GETs a blob from the registry or a mirror into `receiver` (which the client empties before each new attempt).
    func fetchBlob(_ digest: Digest, from client: RegistryClient, into receiver: BlobReceiver, what: String) async throws(EstibaError) -> HTTPResponse {
        let response = try await client.get("\(reference.repository)/blobs/\(digest)", cancellation: receiver.cancelled, receiver: receiver)
        guard response.status != 404 else {
            throw .registryUnknown("\(what) (blob \(digest.short))", host: client.domain, repository: reference.repository)
        }
        return response
    }
}
