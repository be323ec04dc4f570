import System

/// Checking and cleaning the store: long, blocking work, done on store threads outside the actor.
extension ImageStore {
    /// Re-hashes every blob, checks that every referenced blob exists and that every layer not extracted yet
    /// would extract safely.
    public nonisolated func verify() async -> VerifyReport {
        // Without the lease (a lock file that cannot be opened), verify still reads what it can.
        let lease = try? await ContentLease.shared(layout)
        defer { lease?.release() }
        return await runOnThread { self.verifyContent() }
    }

    nonisolated func verifyContent() -> VerifyReport {
        var problems: [String] = []
        let blobs = content.all()
        for d in blobs {
            if let actual = try? StoreFile.digest(layout.blob(d)), actual != d { problems.append("blob \(d) has digest \(actual)") }
        }
        let index: ImageIndex
        do { index = try Self.loadIndex(layout) } catch {
            return VerifyReport(blobsChecked: blobs.count, problems: problems + ["index.json: \(error.message)"])
        }
        var checkedLayers: Set<Digest> = []
        for m in index.manifests {
            guard content.exists(m.digest) else {
                problems.append("manifest \(m.digest) is missing")
                continue
            }
            guard let man = try? manifest(m.digest) else {
                problems.append("manifest \(m.digest) is unreadable")
                continue
            }
            for d in [man.config.digest] + man.layers.map(\.digest) where !content.exists(d) {
                problems.append("blob \(d) (of manifest \(m.digest.short)) is missing")
            }
            if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes),
                config.diffIDs.count != man.layers.count
            {
                problems.append("image \(man.config.digest.short) lists \(config.diffIDs.count) diff IDs for \(man.layers.count) layers")
            }
            // Layers not extracted yet must extract as a run would (an archive loaded by an older version may
            // hold entries that reach outside their layer).
            if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes),
                config.diffIDs.count == man.layers.count
            {
                let chain = Snapshots.chainIDs(config.diffIDs)
                for (i, layer) in man.layers.enumerated()
                where !snapshots.exists(chain[i]) && content.exists(layer.digest) && !checkedLayers.contains(layer.digest) {
                    checkedLayers.insert(layer.digest)
                    if let why = snapshots.check(layer: layer.digest) {
                        problems.append("layer \(layer.digest.short) of image \(man.config.digest.short) cannot be used: \(why) Remove the image (rmi) and get it from a source you trust.")
                    }
                }
            }
        }
        return VerifyReport(blobsChecked: blobs.count, problems: problems)
    }

    /// Collects garbage with more roots for this run (`keep`: snapshots still used, e.g. by containers;
    /// `keepManifests`: images still used, e.g. by the build cache): see `collectGarbage`.
    public nonisolated func prune(keep: Set<Digest> = [], keepManifests: Set<Digest> = []) async throws(EstibaError) -> PruneReport {
        try await collectGarbage(extra: CollectionRoots(manifests: keepManifests, snapshots: keep))
    }
}
