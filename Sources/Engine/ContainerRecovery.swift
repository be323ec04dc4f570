import Runtime
import Synchronization
import System

/// Brings the container store in line with the processes that are actually there. Every container runs tied to
/// its supervisor (its monitor, or its keeper in the foreground) and dies with it; whoever opens the store next
/// records a container whose supervisor is gone as exited — with the code its keeper wrote, else 137 (killed with
/// its supervisor) — or as created again when its keeper says its caller never let it go, or removes it when it was to be removed, thaws a container left paused by a commit that
/// died, and removes the cgroups of containers and build steps that are gone.
enum ContainerRecovery {
    /// The stores this process has recovered (once each).
    private static let recovered = Mutex<Set<String>>([])

    /// The exit code recorded for a container that died with its supervisor.
    static let killedWithSupervisor: Int32 = 128 + Signal.kill.rawValue

    /// Recovers the store at `root` the first time this process opens it.
    static func once(_ store: ContainerStore, root: String) {
        guard recovered.withLock({ $0.insert(root).inserted }) else { return }
        store.removeAbandonedDirectories()
        for record in store.all() { _ = settle(record, in: store) }
        Cgroups.removeAbandonedSteps(root: root)
        // Attachments of containers whose store was deleted without `rm` (their addresses are host-wide).
        ContainerNetworking.releaseAbandoned()
    }

    /// The record as things stand, after settling it: nil when it was removed (`--rm`). `ended` is a supervisor
    /// known to be done (the keeper that runs the settle command), whatever its pid says.
    static func settle(_ record: ContainerRecord, in store: ContainerStore, ended: Int32? = nil) -> ContainerRecord? {
        var r = record
        switch r.state {
        case .exited:
            // The empty cgroups of a container whose supervisor died after it (a container being started again
            // is already in its new ones, and is left alone).
            let groups = Cgroups.existing(id: r.id)
            if !groups.directories.isEmpty, !groups.hasProcesses { groups.remove() }
            ContainerNetworking.release(containerID: r.id)
            return r
        case .created:
            // A foreground run whose client died before the container started.
            guard let supervisor = r.monitorPid, !Processes.exists(supervisor) else { return r }
            // It may have died while starting: in its cgroups already, perhaps attached to its network.
            end(r.id)
            ContainerNetworking.release(containerID: r.id)
            if r.autoRemove {
                store.remove(r.id)
                return nil
            }
            r.monitorPid = nil
            try? store.save(r)
            return r
        case .running:
            ContainerFreeze.thawIfAbandoned(store: store, id: r.id)
            if let supervisor = r.monitorPid ?? r.pid, supervisor != ended, Processes.exists(supervisor) { return r }
            // Re-read: the supervisor may have recorded the exit since.
            guard let now = store.record(r.id) else { return nil }
            guard now.state == .running, now.monitorPid == r.monitorPid else { return settle(now, in: store, ended: ended) }
            end(r.id)
            switch Keeping.recordedEnd(in: store.exitFile(r.id)) {
            case .neverStarted: return store.recordNeverStarted(r)
            case .exited(let code): return store.recordExit(r, code: code)
            case nil: return store.recordExit(r, code: killedWithSupervisor)
            }
        }
    }

    /// Ends whatever still runs in container `id`'s cgroups (thawed first: a paused process cannot die) and
    /// removes them.
    static func end(_ id: String) {
        let groups = Cgroups.existing(id: id)
        guard !groups.directories.isEmpty else { return }
        if groups.isFrozen { try? groups.freeze(false) }
        groups.killProcesses()
        groups.remove()
    }
}

extension Engine {
    /// The hidden command of the `estiba` executable that records the end of a foreground container whose client
    /// was gone when it ended (its keeper runs it).
    public static let settleCommandName = "__settle"

    /// What the hidden settle command does: records the end of container `id`, whose keeper is this process.
    public func settle(container id: String) throws(EstibaError) {
        let store = try containerStore()
        guard let record = store.record(id) else { return }
        _ = ContainerRecovery.settle(record, in: store, ended: Processes.currentID)
    }
}
