import Builder
import ImageStore
import Runtime
import System

/// The roots the engine gives the store's garbage collector: containers (the image each was made from, and the
/// snapshots it mounts, kept even after `rmi -f` as Docker keeps them) and the build cache (its steps' images,
/// and the images the listed ones were built from).
extension Engine {
    static func installCollectionRoots(on store: ImageStore, root: String) {
        store.rootSource.install { listed in collectionRoots(root: root, listed: listed) }
    }

    static func collectionRoots(root: String, listed: Set<Digest>) -> CollectionRoots {
        var roots = CollectionRoots()
        for c in (try? ContainerStore(root: root))?.all() ?? [] {
            if let id = Digest(c.imageID) { roots.images.insert(id) }
            for dir in c.lowerDirectories {
                // `snapshots/<chainID>/fs`
                let parts = dir.split(separator: "/")
                if parts.count >= 2, let d = Digest(hex: String(parts[parts.count - 2])) { roots.snapshots.insert(d) }
            }
        }
        roots.formUnion(Builder.collectionRoots(root: root, images: listed.union(roots.images)))
        return roots
    }
}
