import Dockerfile
import ImageStore
import Runtime
import System

/// One row of `history`, newest first.
public struct HistoryRow: Sendable, Equatable {
    /// The image ID for the newest entry; nil (`<missing>`) where no local image holds that step.
    public var imageID: Digest?
    public var created: Timestamp?
    public var createdBy: String
    /// Content bytes the step's layer adds (0 for metadata-only steps).
    public var size: Int64
    public var comment: String
    public var emptyLayer: Bool
    public var author: String?
}

/// An image with the figures `images` shows.
public struct ImageSummary: Sendable {
    public var image: ImageRecord
    /// Content bytes in layers other images also use.
    public var sharedSize: Int64
    /// Content bytes only this image's layers hold.
    public var uniqueSize: Int64
    /// Containers created from this image.
    public var containers: Int = 0
}

extension Engine {
    /// Makes a one-layer image from a root filesystem (directory or tar archive, plain or compressed), like
    /// `docker import`; `changes` are Dockerfile instructions applied to the config (`CMD ["sh"]`, `ENV A=b`…).
    public func importImage(source: String, reference: String?, changes: [String] = [], message: String? = nil)
        async throws(EstibaError) -> ImageRecord
    {
        let ref = try reference.map { r throws(EstibaError) in try Self.reference(r) }
        var config = ContainerConfig()
        try ConfigChanges.apply(changes, to: &config)
        let isDirectory = (try? Files.status(source))?.kind == .directory
        return try await withStore { store throws(EstibaError) in
            try await store.importImage(
                isDirectory ? .directory(source) : .tarball(source), config: config, reference: ref,
                comment: message ?? "Imported from \(source)")
        }
    }

    /// Every image with its shared and unique sizes, newest first.
    public func images() async throws(EstibaError) -> [ImageSummary] {
        let all = try await withStore { store throws(EstibaError) in try await store.images() }
        var users: [Digest: Int] = [:]
        for image in all { for c in Set(image.chainIDs) { users[c, default: 0] += 1 } }
        let inUse = try imagesInUse()
        return all.map { image in
            var shared: Int64 = 0
            for (i, c) in image.chainIDs.enumerated() where (users[c] ?? 0) > 1 { shared += image.layerSizes[i] }
            return ImageSummary(image: image, sharedSize: shared, uniqueSize: image.size - shared, containers: inUse[image.id]?.count ?? 0)
        }
    }

    /// A value that changes whenever `images()` would answer differently (cache key for front ends).
    public func imagesGeneration() async throws(EstibaError) -> [Int] {
        let images = try await withStore { store throws(EstibaError) in try await store.generation() }
        // Container counts are part of the listing too: add a digest of which containers use which image.
        let containers = try containerStore().all().map { $0.id + $0.imageID }.sorted().joined(separator: ",")
        return images + [Int(Digest.of(containers).hex.prefix(15), radix: 16) ?? 0]
    }

    /// One image by `name[:tag]`, ID or unique ID prefix.
    /// A full ID also finds an image no longer listed whose content a container keeps (after `rmi -f`).
    public func inspectImage(_ spec: String) async throws(EstibaError) -> ImageRecord {
        try await withStore { store throws(EstibaError) in
            do throws(EstibaError) { return try await store.image(spec) } catch {
                guard error.code == .notFound, let id = Digest(spec), let kept = await store.image(id: id) else { throw error }
                return kept
            }
        }
    }

    /// The image's history, newest first, with each step's layer size.
    public func history(_ spec: String) async throws(EstibaError) -> [HistoryRow] {
        let image = try await inspectImage(spec)
        var layerIndex = 0
        var rows: [HistoryRow] = []
        for entry in image.config.history {
            var size: Int64 = 0
            if !entry.emptyLayer {
                size = layerIndex < image.layerSizes.count ? image.layerSizes[layerIndex] : 0
                layerIndex += 1
            }
            rows.append(
                HistoryRow(
                    imageID: nil, created: entry.created, createdBy: entry.createdBy ?? "", size: size,
                    comment: entry.comment ?? "", emptyLayer: entry.emptyLayer, author: entry.author))
        }
        rows.reverse()
        if !rows.isEmpty { rows[0].imageID = image.id }
        // Built images know their steps' images (like Docker's parent chain); others, and steps whose image is
        // gone, show <missing>.
        let store = try store()
        for (i, id) in try sharedBuilder().ancestry(of: image.id).enumerated() where i < rows.count && store.hasImage(id: id) {
            rows[i].imageID = id
        }
        return rows
    }

    /// Points `target` at the image `source`.
    public func tag(source: String, target: String) async throws(EstibaError) -> ImageRecord {
        let ref = try Self.reference(target)
        return try await withStore { store throws(EstibaError) in try await store.tag(source, as: ref) }
    }

    /// Removes images or tags like `docker rmi` (only the index entries: the roots); then garbage collection
    /// removes the content nothing reaches any more. Content a container uses stays (after `rmi -f` too).
    public func removeImages(_ specs: [String], force: Bool) async throws(EstibaError) -> [RemovalEvent] {
        let inUse = try imagesInUse()
        return try await withStore { store throws(EstibaError) in
            var events: [RemovalEvent] = []
            for spec in specs { events += try await store.remove(spec, force: force, inUse: inUse) }
            // The images are removed whatever the collection finds; what it cannot remove now, the next one does.
            _ = try? await store.collectGarbage()
            return events
        }
    }

    public func verifyStore() async throws(EstibaError) -> VerifyReport {
        await (try store()).verify()
    }

    /// Garbage collection: removes every blob, snapshot and `tmp/` entry that no image, container, build cache
    /// record or live operation reaches.
    public func pruneStore() async throws(EstibaError) -> PruneReport {
        let report = try await withStore { store throws(EstibaError) in try await store.collectGarbage() }
        // The cgroups (and any process still in them) of build steps whose scratch directory prune just cleared.
        Cgroups.removeAbandonedSteps(root: configuration.root)
        return report
    }

    /// Runs `body` on the store (opened on first use) under a lease: what it writes or uses stays until it ends,
    /// and what it wrote goes again when it fails.
    func withStore<T: Sendable>(_ body: (ImageStore) async throws(EstibaError) -> T) async throws(EstibaError) -> T {
        let store = try store()
        return try await store.withLease { () throws(EstibaError) -> T in try await body(store) }
    }

    static func reference(_ text: String) throws(EstibaError) -> ImageReference { try ImageReference(parsing: text) }
}

extension Engine {
    /// Writes images to a docker-archive, OCI archive or OCI layout directory.
    public func save(_ specs: [String], to path: String, format: ArchiveFormat) async throws(EstibaError) -> [ImageRecord] {
        try await withStore { store throws(EstibaError) in try await store.save(specs, to: path, format: format) }
    }

    /// Loads every image of an archive or layout (docker-archive current or legacy, OCI archive or directory).
    public func load(from path: String) async throws(EstibaError) -> [LoadedImage] {
        try await withStore { store throws(EstibaError) in try await store.load(from: path) }
    }
}
