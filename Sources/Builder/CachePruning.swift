import ImageStore
import System

/// One step of the build cache, as `system df` lists it and `builder prune` removes it.
public struct BuildCacheEntry: Sendable, Equatable {
    /// The step's cache key.
    public var id: Digest
    /// The image the step made.
    public var image: Digest
    /// The instruction after expansion.
    public var instruction: String
    /// When the step was built, in seconds since the epoch.
    public var created: Int64
    /// Bytes of file content in the step's layer (0 for a step that changed no file).
    public var size: Int64
    /// Whether the step's image is in use: an image that is tagged, that a container was made from or that an
    /// operation under way holds, or one they were built from. A step not in use is dangling.
    public var inUse: Bool

    public init(id: Digest, image: Digest, instruction: String, created: Int64, size: Int64, inUse: Bool) {
        self.id = id
        self.image = image
        self.instruction = instruction
        self.created = created
        self.size = size
        self.inUse = inUse
    }
}

extension Builder {
    /// Every step of the build cache of the store at `root`, newest first. `inUse`: the images in use (tagged,
    /// containers', held); the images they were built from are in use too.
    public static func cacheEntries(root: String, inUse images: Set<Digest>) -> [BuildCacheEntry] {
        guard let cache = try? BuildCache(root: root, create: false) else { return [] }
        let reached = reach(images, in: cache)
        return cache.all().map { entry($0, inUse: reached.contains($0.image)) }
    }

    /// Removes steps from the build cache of the store at `root` and returns them: the dangling ones (whose image
    /// no image in `needed` was built from: the tagged images and the containers' ones), or with `all` every one,
    /// in both cases only those built before `createdBefore` (seconds) when it is given. Steps whose images an
    /// operation under way holds (`held`: a build's) always stay. A removed step's image keeps its link to its
    /// parent (for `history`) while a `listed` image, a needed or held one, or a kept step reaches it. Its content
    /// goes with the next collection. Call it under the collector's locks (`ImageStore.RootTrim`), so no image is
    /// listed, used or held meanwhile.
    public static func pruneCache(
        root: String, needed: Set<Digest>, listed: Set<Digest>, held: Set<Digest>, all: Bool, createdBefore: Int64?
    ) -> [BuildCacheEntry] {
        guard let cache = try? BuildCache(root: root, create: false) else { return [] }
        let used = reach(needed.union(held), in: cache)
        let busy = reach(held, in: cache)
        var removed: [BuildCacheEntry] = []
        var kept: Set<Digest> = []
        for r in cache.all() {
            let old = createdBefore.map { Int64(r.created) < $0 } ?? true
            guard old, !busy.contains(r.image), all || !used.contains(r.image) else {
                kept.insert(r.image)
                continue
            }
            cache.remove(r, unlinkingImage: false)
            removed.append(entry(r, inUse: used.contains(r.image)))
        }
        let linked = reach(listed.union(used).union(kept), in: cache)
        for image in cache.linkedImages() where !linked.contains(image) { cache.unlink(image: image) }
        return removed
    }

    /// The images and every image they were built from.
    static func reach(_ images: Set<Digest>, in cache: BuildCache) -> Set<Digest> {
        var out = images
        for image in images { out.formUnion(ancestry(of: image, in: cache)) }
        return out
    }

    static func entry(_ r: CacheRecord, inUse: Bool) -> BuildCacheEntry {
        BuildCacheEntry(id: r.key, image: r.image, instruction: r.instruction, created: Int64(r.created), size: r.layerSize, inUse: inUse)
    }
}
