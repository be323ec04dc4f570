import Builder
import Dockerfile
import ImageStore
import Runtime
import Synchronization
import System

/// What `builder prune` removed: the build cache's steps, and what the collection after it reclaimed.
public struct BuildCachePruneReport: Sendable {
    public var removed: [BuildCacheEntry]
    /// The collection run once the steps were removed (their images' content, and whatever else nothing reached).
    public var collected: PruneReport
}

/// What `system prune` removed: unused networks, content nothing reaches, then build cache.
public struct SystemPruneReport: Sendable {
    public var store: PruneReport
    public var buildCache: BuildCachePruneReport
    public var networks: [String] = []
    /// Bytes both reclaimed.
    public var bytes: Int64 { store.bytes + buildCache.collected.bytes }
}

extension Engine {
    /// The build cache's steps, newest first, each saying whether an image in use needs it.
    public func buildCache() async throws(EstibaError) -> [BuildCacheEntry] {
        let tagged = try await withStore { store throws(EstibaError) in try await store.images() }.filter { !$0.references.isEmpty }.map(\.id)
        return Builder.cacheEntries(root: configuration.root, inUse: Set(tagged).union(try imagesInUse().keys))
    }

    /// Removes dangling build cache (steps whose image no tagged image was built from and no container uses), or
    /// with `all` every step, like `docker builder prune`; `until`: only steps built longer ago. Steps a build
    /// under way uses stay. Then collects, so their images' content really goes.
    public func pruneBuildCache(all: Bool = false, until: Duration? = nil) async throws(EstibaError) -> BuildCachePruneReport {
        let root = configuration.root
        let cutoff = until.map { Timestamp.now().seconds - $0.components.seconds }
        let removed = RemovedSteps()
        // Decided and removed under the collector's locks: no image is listed, held or collected meanwhile.
        let collected = try await withStore { store throws(EstibaError) in
            try await store.collectGarbage(trim: { listed, tagged, held in
                let containers = ((try? ContainerStore(root: root))?.all() ?? []).compactMap { Digest($0.imageID) }
                let steps = Builder.pruneCache(
                    root: root, needed: tagged.union(containers), listed: listed, held: held, all: all, createdBefore: cutoff)
                removed.steps.withLock { $0 += steps }
            })
        }
        Cgroups.removeAbandonedSteps(root: root)
        return BuildCachePruneReport(removed: removed.steps.withLock { $0 }, collected: collected)
    }

    /// `system prune`: collects what nothing reaches, then removes dangling build cache (with `all`, all of it).
    public func pruneSystem(all: Bool = false) async throws(EstibaError) -> SystemPruneReport {
        let networks = try pruneNetworks()
        let store = try await pruneStore()
        var report = SystemPruneReport(store: store, buildCache: try await pruneBuildCache(all: all))
        report.networks = networks
        return report
    }

    /// Reads the value of `builder prune`'s `until` filter: a duration as Docker writes it (`24h`, `90m`, `1h30m`).
    public static func pruneAge(_ text: String) throws(EstibaError) -> Duration {
        guard let nanoseconds = GoDuration.parse(text), nanoseconds >= 0 else {
            throw EstibaError(.invalidArgument, "Invalid until filter \"\(text)\": give a duration such as 24h, 90m or 1h30m.", context: ["filter": "until=" + text])
        }
        return .nanoseconds(nanoseconds)
    }
}

/// The steps a prune's trim removed (it runs on the collector's thread).
private final class RemovedSteps: Sendable {
    let steps = Mutex<[BuildCacheEntry]>([])
}
