import Foundation
import Glibc
import Testing

/// A CLI killed with SIGKILL at seeded random points (`ESTIBA_TEST_SEED`) of `run -d` or of a stopped container's
/// `commit`: after one recovery pass nothing of it runs, stays mounted or keeps a cgroup, `tmp/` and the leases
/// are empty, the store verifies, and the operation run again gives the same result.
@Suite(.serialized) struct CLIKillTests {
    /// A duration no other test uses, to find the containers' processes (the image has busybox, not its applets).
    static let marker = "sleep 30.41"

    @Test func aKilledDetachedRunIsTakenOverByItsMonitorOrLeavesNothing() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        var takenOver = 0
        var leftovers = 0
        /// Every container of the store stopped (under a deadline) and removed.
        func removeAll() throws {
            for id in SupervisionTests.containerIDs(store.cli) { _ = try store.run(["rm", "-f", id]) }
        }
        let stats = try StoreCollectionTests().killed(
            "run -d", seed: killSeed(11), store: store, prepare: removeAll, args: ["run", "-d", "busybox", "busybox", "sleep", "30.41"],
            afterRecovery: { k in
                #expect(try store.run(["ps", "-a"]).status == 0)
                // A monitor the killed CLI had already started goes on starting its container (it outlives its
                // client): let it finish, so its container is seen running, not as created.
                _ = try SupervisionTests().eventually {
                    let starting = SupervisionTests.processes(matching: "__monitor --root \(store.root)").compactMap {
                        $0.split(separator: " ").last.map(String.init)
                    }
                    return try starting.allSatisfy { try store.state($0)?.hasPrefix("running") ?? true }
                }
                let ids = Set(SupervisionTests.containerIDs(store.cli))
                for id in ids {
                    let state = try store.state(id) ?? "none"
                    if state.hasPrefix("running") {
                        // Taken over by its monitor: it runs, and stop works.
                        takenOver += 1
                        let stopped = try store.stop(id)
                        #expect(stopped.status == 0, "kill \(k): stop \(id): \(stopped.output)")
                        #expect(try store.state(id) == "exited 137", "kill \(k)")
                    } else {
                        #expect(state == "created 0" || state == "exited 137", "kill \(k): \(id) is \(state)")
                    }
                }
                leftovers += expectNoProcessMountOrCgroup(store, marker: Self.marker, containers: ids, "run -d kill \(k)")
                try removeAll()
            },
            result: {
                // The one container the run started runs, and stop works.
                let running = try store.run(["ps", "-q", "--no-trunc"]).output.split(separator: "\n").map(String.init)
                #expect(running.count == 1, "\(running)")
                let stopped = try running.map { try store.stop($0).status }
                let states = try running.map { try store.state($0) ?? "none" }
                leftovers += expectNoProcessMountOrCgroup(store, marker: Self.marker, containers: Set(running), "run -d")
                return "\(running.count) running, stopped \(stopped): \(states)"
            })
        print("kill -9 of run -d: \(stats) (tries, killed before the end, store leftovers); taken over \(takenOver), other leftovers \(leftovers)")
        #expect(leftovers == 0)
    }

    @Test func aKilledCommitOfAStoppedContainerLeavesItCommittable() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        #expect(try store.run(["run", "--name", "c1", "busybox", "sh", "-c", "head -c 3000000 /dev/urandom > /x"]).status == 0)
        let id = try store.run(["inspect", "-f", "{{.Id}}", "c1"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        var leftovers = 0
        let stats = try StoreCollectionTests().killed(
            "commit", seed: killSeed(12), store: store, prepare: {}, args: ["commit", "c1", "snap:1"],
            afterRecovery: { k in
                // The container is still there, as it was.
                let state = try store.state("c1")
                #expect(state == "exited 0", "kill \(k)")
                leftovers += expectNoProcessMountOrCgroup(store, marker: "", containers: [id], "commit kill \(k)")
            },
            result: {
                let layers = try store.run(["inspect", "-f", "{{json .RootFS.Layers}}", "snap:1"]).output
                let size = try store.run(["run", "--rm", "snap:1", "sh", "-c", "wc -c < /x"]).output
                return "\(try store.state("c1") ?? "none") \(layers) \(size)"
            })
        print("kill -9 of commit (stopped container): \(stats) (tries, killed before the end, store leftovers); other leftovers \(leftovers)")
        #expect(leftovers == 0)
    }
}
