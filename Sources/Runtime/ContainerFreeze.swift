import System

/// A running container paused (by the freezer cgroup) for a commit. The pause is recorded first, in the
/// container's `frozen` file with the pid of the process holding it, so a container whose committer died is
/// thawed by whoever finds it (`thawIfAbandoned`): a container is never left paused.
public struct ContainerFreeze: Sendable {
    let groups: Cgroups
    let marker: String

    static func markerPath(_ store: ContainerStore, _ id: String) -> String { store.path(id) + "/frozen" }

    /// Pauses container `id` of `store`, recording this process as the holder.
    public static func freeze(store: ContainerStore, id: String) throws(EstibaError) -> ContainerFreeze {
        let freeze = ContainerFreeze(groups: Cgroups.existing(id: id), marker: markerPath(store, id))
        try store.write(Array(String(Processes.currentID).utf8), to: freeze.marker)
        do { try freeze.groups.freeze(true) } catch {
            freeze.thaw()
            throw error
        }
        return freeze
    }

    /// Resumes the container and drops the record of the pause.
    public func thaw() {
        try? groups.freeze(false)
        try? Files.remove(marker)
    }

    /// Thaws container `id` when it is paused (or marked paused) and no live process holds the pause; returns
    /// whether it did.
    @discardableResult
    public static func thawIfAbandoned(store: ContainerStore, id: String) -> Bool {
        let marker = markerPath(store, id)
        let holder = (try? Files.read(marker)).flatMap { Int32(String(decoding: $0, as: UTF8.self)) }
        if let holder, holder > 0, Processes.exists(holder) { return false }
        let groups = Cgroups.existing(id: id)
        let marked = Files.exists(marker)
        guard marked || groups.isFrozen else { return false }
        ContainerFreeze(groups: groups, marker: marker).thaw()
        return true
    }
}
