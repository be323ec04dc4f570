import Synchronization
import System

/// Roots of garbage collection that the store does not know by itself (containers, the build cache).
public struct CollectionRoots: Sendable {
    /// Image manifests to keep, with their configs, layers and snapshots.
    public var manifests: Set<Digest> = []
    /// Images to keep by ID (config digest), with their layers, snapshots and manifest.
    public var images: Set<Digest> = []
    /// Snapshots to keep by chain ID.
    public var snapshots: Set<Digest> = []

    public init(manifests: Set<Digest> = [], images: Set<Digest> = [], snapshots: Set<Digest> = []) {
        self.manifests = manifests
        self.images = images
        self.snapshots = snapshots
    }

    public mutating func formUnion(_ other: CollectionRoots) {
        manifests.formUnion(other.manifests)
        images.formUnion(other.images)
        snapshots.formUnion(other.snapshots)
    }
}

/// Where the collector asks for the roots above the store. The function gets the IDs of the images the index
/// lists and runs under the collector's locks, so what it reads cannot change meanwhile through the store.
public final class CollectionRootSource: Sendable {
    public typealias Provider = @Sendable (_ listedImages: Set<Digest>) -> CollectionRoots
    private let provider = Mutex<Provider?>(nil)

    init() {}

    /// Sets the function that names the roots (the engine's containers and build cache).
    public func install(_ p: @escaping Provider) { provider.withLock { $0 = p } }

    func roots(listing images: Set<Digest>) -> CollectionRoots { provider.withLock { $0 }?(images) ?? CollectionRoots() }
}

/// Garbage collection in containerd's model: mark from the roots (the index, live leases, the roots the engine
/// names), then sweep blobs, snapshots and `tmp/` entries nothing marked. It runs with the content lock held
/// exclusively (no write is half done) and the index lock (no tag moves), so it is safe beside any other work.
extension ImageStore {
    /// Runs under the collector's locks before the roots are asked for, and may remove roots the engine names (the
    /// build cache's records). It gets the IDs of the images the index lists, of those of them it tags, and the
    /// blobs live leases hold.
    public typealias RootTrim = @Sendable (_ listedImages: Set<Digest>, _ taggedImages: Set<Digest>, _ leasedBlobs: Set<Digest>) -> Void

    /// Collects every unreachable, unleased blob, snapshot and `tmp/` entry; `extra`: more roots for this run;
    /// `trim`: removes roots first (see `RootTrim`).
    public nonisolated func collectGarbage(extra: CollectionRoots = CollectionRoots(), trim: RootTrim? = nil)
        async throws(EstibaError) -> PruneReport
    {
        try await runOnThread { () throws(EstibaError) -> PruneReport in try self.collect(extra: extra, only: nil, trim: trim) }
    }

    /// Removes what `objects` names unless something else still reaches or leases it (what a failed operation
    /// wrote goes again).
    nonisolated func free(_ objects: Set<LeasedObject>) async {
        guard !objects.isEmpty else { return }
        _ = try? await runOnThread { () throws(EstibaError) -> PruneReport in try self.collect(extra: CollectionRoots(), only: objects) }
    }

    /// The collection (blocking: call it on a store thread). With `only`, nothing outside it is removed.
    nonisolated func collect(extra: CollectionRoots, only: Set<LeasedObject>?, trim: RootTrim? = nil) throws(EstibaError) -> PruneReport {
        let lease = try ContentLease.exclusive(layout)
        defer { lease.release() }
        let lock = try layout.lockIndex()
        defer { lock.close() }
        // Leases are read before the roots: an operation writes its root (a container's record) before it ends its
        // lease, so what it holds is seen in one or the other.
        var leased = Marks()
        var scratch: Set<String> = []
        for object in StoreLease.liveObjects(layout) {
            switch object {
            case .blob(let d): leased.blobs.insert(d)
            case .snapshot(let c): leased.snapshots.insert(c)
            case .scratch(let name): scratch.insert(name)
            }
        }
        var marks = Marks()
        let index = try Self.loadIndex(layout)
        var listed: Set<Digest> = []
        var configs: [Digest: Digest] = [:]
        for m in Set(index.manifests.map(\.digest)) {
            if let config = mark(manifest: m, &marks) {
                listed.insert(config)
                configs[m] = config
            }
        }
        if let trim {
            let tagged = index.manifests.filter { $0.annotation(Annotation.refName) != nil }.compactMap { configs[$0.digest] }
            trim(listed, Set(tagged), leased.blobs)
        }
        var roots = rootSource.roots(listing: listed)
        roots.formUnion(extra)
        for m in roots.manifests where !marks.blobs.contains(m) { _ = mark(manifest: m, &marks) }
        for id in roots.images { mark(image: id, &marks) }
        marks.snapshots.formUnion(roots.snapshots)
        marks.blobs.formUnion(leased.blobs)
        marks.snapshots.formUnion(leased.snapshots)
        var report = PruneReport(blobs: 0, snapshots: 0, bytes: 0)
        let blobCandidates: [Digest]
        let snapshotCandidates: [Digest]
        if let only {
            blobCandidates = only.compactMap { if case .blob(let d) = $0 { d } else { nil } }.filter { content.exists($0) }
            snapshotCandidates = only.compactMap { if case .snapshot(let c) = $0 { c } else { nil } }.filter { snapshots.exists($0) }
        } else {
            blobCandidates = content.all()
            snapshotCandidates = snapshots.all()
        }
        for d in blobCandidates where !marks.blobs.contains(d) {
            report.bytes += content.size(d) ?? 0
            content.delete(d)
            try? Files.remove(layout.layerInfo(d))
            forgetPushHints(d)
            report.blobs += 1
        }
        for c in snapshotCandidates where !marks.snapshots.contains(c) {
            try snapshots.remove(c)
            report.snapshots += 1
        }
        if only == nil { StoreRecovery.sweepScratch(layout, keeping: scratch) }
        return report
    }

    /// What pushes and pulls remembered of a blob that goes: a layer's compressed forms, and the registry
    /// repositories holding them or the blob itself.
    nonisolated func forgetPushHints(_ d: Digest) {
        for compression in LayerCompression.allCases {
            if let blob = compressedLayer(diffID: d, compression: compression) { try? Files.remove(layout.blobSources(blob.digest)) }
            try? Files.remove(layout.compressedLayerInfo(d, compression.rawValue))
        }
        try? Files.remove(layout.blobSources(d))
    }

    /// What the mark phase reached.
    struct Marks {
        var blobs: Set<Digest> = []
        var snapshots: Set<Digest> = []
    }

    /// Marks a manifest, its config, layers and snapshots; returns the image's ID.
    nonisolated func mark(manifest m: Digest, _ marks: inout Marks) -> Digest? {
        guard content.exists(m) else { return nil }
        marks.blobs.insert(m)
        guard let man = try? manifest(m) else { return nil }
        marks.blobs.insert(man.config.digest)
        for l in man.layers { marks.blobs.insert(l.digest) }
        if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes) {
            marks.snapshots.formUnion(Snapshots.chainIDs(config.diffIDs))
        }
        return man.config.digest
    }

    /// Marks an image by ID: its config, its layers (blobs by diff ID: the store keeps layers uncompressed), its
    /// snapshots and the manifest the store writes for it.
    nonisolated func mark(image id: Digest, _ marks: inout Marks) {
        guard content.exists(id), let bytes = try? content.read(id), let config = try? ImageConfig(bytes: bytes) else { return }
        marks.blobs.insert(id)
        for d in config.diffIDs { marks.blobs.insert(d) }
        marks.snapshots.formUnion(Snapshots.chainIDs(config.diffIDs))
        if let m = storedManifest(config: id, bytes: Int64(bytes.count), diffIDs: config.diffIDs) { marks.blobs.insert(m) }
    }

    /// The digest of the manifest the store writes for an image, when that blob is present.
    nonisolated func storedManifest(config id: Digest, bytes: Int64, diffIDs: [Digest]) -> Digest? {
        var layers: [Descriptor] = []
        for d in diffIDs {
            guard let size = content.size(d) else { return nil }
            layers.append(Descriptor(mediaType: MediaType.layer, digest: d, size: size))
        }
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.imageConfig, digest: id, size: bytes), layers: layers)
        let digest = Digest.of(manifest.json.encoded())
        return content.exists(digest) ? digest : nil
    }
}
