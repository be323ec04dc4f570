import System

/// Writing layers and making snapshots: blocking work, done on store threads under the content lease, outside
/// the actor (which is entered only to list the result in the index).
extension ImageStore {
    /// Makes a one-layer image from a root filesystem, tags it, and returns it.
    public nonisolated func importImage(
        _ source: ImportSource, config: ContainerConfig, reference: ImageReference?, comment: String,
        architecture: String = HostPlatform.architecture, created: Timestamp = .now()
    ) async throws(EstibaError) -> ImageRecord {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        let layer = try await runOnThread { () throws(EstibaError) -> LayerTar in
            do throws(EstibaError) {
                let layer = try self.importLayer(source)
                try lease?.hold([.blob(layer.diffID)])
                return layer
            } catch {
                throw EstibaError.storeWrite("the layer of \(source.path)", to: self.layout.root, error)
            }
        }
        var image = ImageConfig(architecture: architecture, created: created)
        image.config = config
        image.diffIDs = [layer.diffID]
        image.history = [HistoryEntry(created: created, createdBy: nil, comment: comment)]
        // Still under the lease: no prune can take the new layer away before the image names it.
        return try await add(config: image, layers: [(layer.diffID, layer.size)], reference: reference)
    }

    /// The layer of an imported root filesystem, written into the store.
    nonisolated func importLayer(_ source: ImportSource) throws(EstibaError) -> LayerTar {
        let layer: LayerTar
        switch source {
        case .directory(let dir):
            guard (try? Files.status(dir))?.kind == .directory else {
                throw EstibaError(.notFound, "\(dir) is not a directory; give a root filesystem directory or a tar archive.", context: ["path": dir])
            }
            layer = try content.putLayer(from: dir)
        case .tarball(let file):
            guard Files.exists(file) else {
                throw EstibaError(.notFound, "\(file) does not exist; give a root filesystem tar archive or directory.", context: ["path": file])
            }
            let staging = try layout.stagingDirectory()
            defer { try? Files.removeTree(staging) }
            _ = try LayerExtractor.extract(archive: file, into: staging, options: ExtractOptions(whiteouts: .apply))
            layer = try content.putLayer(from: staging)
        }
        try layerInfo.record(layer.diffID, contentSize: layer.contentSize)
        return layer
    }

    /// Writes the layer of a directory (an overlay upper directory when `overlayUpper`) into the store.
    /// `what` names the layer in a failure ("the layer of step 3").
    public nonisolated func addLayer(from directory: String, overlayUpper: Bool, what: String? = nil) async throws(EstibaError) -> LayerTar {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        return try await runOnThread { () throws(EstibaError) -> LayerTar in
            do throws(EstibaError) {
                let layer = try self.content.putLayer(from: directory, overlayUpper: overlayUpper)
                try lease?.hold([.blob(layer.diffID)])
                try self.layerInfo.record(layer.diffID, contentSize: layer.contentSize)
                return layer
            } catch {
                throw EstibaError.storeWrite(what ?? self.layerName(directory), to: self.layout.root, error)
            }
        }
    }

    /// How a failure names the layer of `directory`: a container's by the container, others by their path.
    nonisolated func layerName(_ directory: String) -> String {
        let prefix = layout.containers + "/"
        guard directory.hasPrefix(prefix), let id = directory.dropFirst(prefix.count).split(separator: "/").first else {
            return "the layer of \(directory)"
        }
        return "the layer of container \(id.prefix(12))"
    }

    /// Stores an image's config and manifest as blobs without listing it in index.json (a build step's
    /// intermediate image: found by its manifest digest, kept by `prune` while the caller names it in `keep`).
    public nonisolated func addIntermediate(config: ImageConfig, layers: [(digest: Digest, size: Int64)])
        async throws(EstibaError) -> ImageRecord
    {
        guard config.diffIDs.count == layers.count else {
            throw EstibaError(.badInput, "The image config lists \(config.diffIDs.count) layers but \(layers.count) were given.")
        }
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        let written = try await runOnThread { () throws(EstibaError) -> ImageRecord in
            let configBytes = config.encoded()
            let manifestBlob: (digest: Digest, size: Int64)
            let configBlob: (digest: Digest, size: Int64)
            let manifest: Manifest
            do throws(EstibaError) {
                configBlob = try self.content.put(configBytes)
                try lease?.hold([.blob(configBlob.digest)] + Self.objects(layers: layers.map(\.digest), diffIDs: config.diffIDs))
                manifest = Manifest(
                    config: Descriptor(mediaType: MediaType.imageConfig, digest: configBlob.digest, size: configBlob.size),
                    layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: $0.digest, size: $0.size) })
                manifestBlob = try self.content.put(manifest.json.encoded())
                try lease?.hold([.blob(manifestBlob.digest)])
            } catch {
                throw EstibaError.storeWrite("an image", to: self.layout.root, error)
            }
            let chain = Snapshots.chainIDs(config.diffIDs)
            let sizes = config.diffIDs.enumerated().map { i, d in
                self.layerInfo.contentSize(d) ?? self.snapshots.contentSize(chain[i]) ?? layers[i].size
            }
            return ImageRecord(
                id: configBlob.digest, manifestDigest: manifestBlob.digest, manifest: manifest, config: config, configBytes: configBytes,
                references: [], size: sizes.reduce(0, +), chainIDs: chain, layerSizes: sizes)
        }
        // Built from what was just written, and not cached: a long build makes one such image per step, each
        // config holding all the history before it, so caching them all would take memory quadratic in the steps.
        return await cachedRecord(written.manifestDigest) ?? written
    }

    /// The snapshot directories of an image record, top layer first (made on first use).
    public nonisolated func lowerDirectories(of r: ImageRecord) async throws(EstibaError) -> [String] {
        let ready = r.config.diffIDs.count == r.manifest.layers.count && r.chainIDs.allSatisfy { snapshots.exists($0) }
        let lease = StoreLease.current
        if !ready || lease != nil {
            let hold = try await ContentLease.shared(layout)
            defer { hold.release() }
            // Held first: the snapshots made next belong to the lease as soon as they exist.
            try lease?.hold(Self.objects(of: r))
            if !ready {
                try await runOnThread { () throws(EstibaError) in
                    do throws(EstibaError) { try self.makeSnapshots(config: r.config, manifest: r.manifest) } catch {
                        throw EstibaError.storeWrite("the layers of image \(r.id.short)", to: self.layout.root, error)
                    }
                }
            }
            for c in r.chainIDs where !snapshots.exists(c) {
                throw EstibaError(.notFound, "A layer of image \(r.id.short) is missing from the store (it was removed meanwhile); run verify.", context: ["image": r.id.description])
            }
        }
        return r.chainIDs.reversed().map { layout.snapshotTree($0) }
    }

    /// The snapshot directories of an image, top layer first (overlay `lowerdir` order).
    public nonisolated func lowerDirectories(_ spec: String) async throws(EstibaError) -> [String] {
        try await lowerDirectories(of: try await image(spec))
    }

    /// Extracts the image's layers not extracted yet (blocking: call it on a store thread).
    nonisolated func makeSnapshots(config: ImageConfig, manifest: Manifest) throws(EstibaError) {
        guard config.diffIDs.count == manifest.layers.count else {
            throw EstibaError(.badInput, "The image has \(manifest.layers.count) layers but \(config.diffIDs.count) diff IDs.")
        }
        let chain = Snapshots.chainIDs(config.diffIDs)
        for (i, layer) in manifest.layers.enumerated() {
            try snapshots.ensure(chainID: chain[i], layer: layer.digest, diffID: config.diffIDs[i], parent: i > 0 ? chain[i - 1] : nil)
        }
    }
}
