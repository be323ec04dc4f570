import System

/// Images received from elsewhere (a registry pull): the caller downloads each blob into a file `incomingFile`
/// gives, then it is checked, stored and extracted here under the current lease, and the image is listed (its tag
/// written) last.
extension ImageStore {
    /// The size of the layer with this diff ID when it is stored already (a pull skips it), held by the current
    /// lease from then on so no collection takes it before the image names it; nil when it is not stored.
    public nonisolated func holdStoredLayer(diffID: Digest) async throws(EstibaError) -> Int64? {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        guard let size = content.size(diffID) else { return nil }
        try StoreLease.current?.hold([.blob(diffID)])
        return size
    }

    /// A new empty file in `tmp/` for a download, held by the current lease so no collection removes it while it
    /// is written. `storeLayer` consumes it; otherwise the caller removes it.
    public nonisolated func incomingFile() async throws(EstibaError) -> String {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let (file, path) = try Files.makeTemporaryFile(in: layout.tmp, prefix: "pull-")
        file.close()
        let name = path.split(separator: "/").last.map(String.init) ?? path
        do throws(EstibaError) { try StoreLease.current?.hold([.scratch(name)]) } catch {
            try? Files.remove(path)
            throw error
        }
        return path
    }

    /// Stores the downloaded layer blob at `path` (gzip, zstd or uncompressed) as the uncompressed layer whose
    /// digest must be `diffID`, and removes the download. Returns the stored layer's digest and size.
    public nonisolated func storeLayer(downloaded path: String, diffID: Digest) async throws(EstibaError) -> (digest: Digest, size: Int64) {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        return try await runOnThread { () throws(EstibaError) -> (digest: Digest, size: Int64) in
            defer { try? Files.remove(path) }
            let stored = try self.adoptLayer(path, diffID: diffID, movable: true)
            try lease?.hold([.blob(diffID)])
            return stored
        }
    }

    /// Extracts the stored layer `index` of an image whose layers are `diffIDs` as its snapshot (by chain ID), held
    /// by the current lease; a layer's snapshot needs none of the others, so each is made as soon as it is stored.
    public nonisolated func extractLayer(diffIDs: [Digest], index: Int) async throws(EstibaError) {
        guard diffIDs.indices.contains(index) else { throw EstibaError(.internal, "Layer \(index) of \(diffIDs.count) does not exist.") }
        let chain = Snapshots.chainIDs(diffIDs)
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        try await runOnThread { () throws(EstibaError) in
            try lease?.hold([.snapshot(chain[index])])
            do throws(EstibaError) {
                try self.snapshots.ensure(
                    chainID: chain[index], layer: diffIDs[index], diffID: diffIDs[index], parent: index > 0 ? chain[index - 1] : nil)
            } catch {
                throw EstibaError.storeWrite("the layer \(diffIDs[index].short)", to: self.layout.root, error)
            }
        }
    }

    /// Extracts the image's layers not extracted yet, then lists it under `references` (untagged when empty).
    /// Until the listing, nothing names the image: a failure leaves no tag.
    public nonisolated func addReceived(configBytes: [UInt8], layers: [(digest: Digest, size: Int64)], references: [ImageReference])
        async throws(EstibaError) -> ImageRecord
    {
        let config = try ImageConfig(bytes: configBytes)
        guard config.diffIDs.count == layers.count else {
            throw EstibaError(.badInput, "The image config lists \(config.diffIDs.count) layers but \(layers.count) were given.")
        }
        let manifest = Manifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: Digest.of(configBytes), size: Int64(configBytes.count)),
            layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: $0.digest, size: $0.size) })
        do {
            let hold = try await ContentLease.shared(layout)
            defer { hold.release() }
            let lease = StoreLease.current
            try await runOnThread { () throws(EstibaError) in
                // Held first: each snapshot belongs to the lease as soon as it exists.
                try lease?.hold(Self.objects(layers: layers.map(\.digest), diffIDs: config.diffIDs))
                try self.makeSnapshots(config: config, manifest: manifest)
            }
        }
        return try await add(configBytes: configBytes, layers: layers, references: references)
    }
}
