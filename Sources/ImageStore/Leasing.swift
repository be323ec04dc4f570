import System

/// Operations under a lease: what they write or use stays out of garbage collection until they end, and what a
/// failed one wrote is removed again.
extension ImageStore {
    /// Runs `body` under a new lease (or the current task's, when there is one). When `body` fails, what the lease
    /// held and nothing else reaches is removed.
    public nonisolated func withLease<T: Sendable>(_ body: () async throws(EstibaError) -> T) async throws(EstibaError) -> T {
        if StoreLease.current != nil { return try await body() }
        let lease = StoreLease(layout: layout)
        let outcome: Result<T, EstibaError> = await StoreLease.$current.withValue(lease) {
            do throws(EstibaError) { return .success(try await body()) } catch { return .failure(error) }
        }
        lease.release()
        switch outcome {
        case .success(let value): return value
        case .failure(let error):
            await free(lease.objects)
            throw error
        }
    }

    /// The image `spec` names, held by the current lease (a build's base image, a `COPY --from` image): it stays
    /// whole while the operation uses it, even if it is removed meanwhile.
    public nonisolated func use(_ spec: String) async throws(EstibaError) -> ImageRecord {
        guard let lease = StoreLease.current else { return try await image(spec) }
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let record = try await image(spec)
        try lease.hold(Self.objects(of: record))
        return record
    }

    /// The image a manifest names, held by the current lease (a build step the cache serves), so it stays whole
    /// while the operation uses it; nil when it is no longer in the store.
    public nonisolated func use(manifest: Digest) async -> ImageRecord? {
        guard let lease = StoreLease.current else { return await image(manifest: manifest) }
        guard let hold = try? await ContentLease.shared(layout) else { return nil }
        defer { hold.release() }
        guard let record = await image(manifest: manifest), (try? lease.hold(Self.objects(of: record))) != nil else { return nil }
        return record
    }

    /// Runs `body` (which makes an entry in `tmp/` and takes that entry's own hold) with the content lock held
    /// shared, so no collection sees the entry before its hold is taken.
    public nonisolated func withContentHeld<T>(_ body: () throws(EstibaError) -> T) async throws(EstibaError) -> T {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        return try body()
    }

    /// Everything an image is made of: manifest, config, layers and their snapshots.
    static func objects(of r: ImageRecord) -> [LeasedObject] {
        [.blob(r.manifestDigest), .blob(r.id)] + r.manifest.layers.map { .blob($0.digest) } + r.chainIDs.map { .snapshot($0) }
    }

    /// The layers and snapshots of an image not written as a whole yet.
    static func objects(layers: [Digest], diffIDs: [Digest]) -> [LeasedObject] {
        layers.map { .blob($0) } + Snapshots.chainIDs(diffIDs).map { .snapshot($0) }
    }
}
