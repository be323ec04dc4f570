import Foundation
import Glibc
import Testing

/// What a killed client, service or operation may not leave once the store has been opened again (one recovery
/// pass): a process of the store (its root on the command line, or `marker`), a mount under its root, a cgroup of
/// `containers`, or of the build steps whose scratch directories were `scratch`. Returns how many there were.
@discardableResult
func expectNoProcessMountOrCgroup(
    _ store: CollectionStore, marker: String, containers: Set<String>, scratch: [String] = [], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    let supervision = SupervisionTests()
    // A deadline for processes that are being killed as the check starts (a supervisor's death reaches its
    // container asynchronously).
    _ = supervision.eventually {
        SupervisionTests.processes(matching: store.root).isEmpty && (marker.isEmpty || SupervisionTests.processes(matching: marker).isEmpty)
    }
    let processes = SupervisionTests.processes(matching: store.root) + (marker.isEmpty ? [] : SupervisionTests.processes(matching: marker))
    let mounts = SupervisionTests.storeMounts(store.cli)
    let groups = containers.flatMap { SupervisionTests.cgroups(of: $0) }
        + SupervisionTests.stepGroups().filter { g in scratch.contains { g.hasSuffix("-" + $0) } }
    #expect(processes.isEmpty, "\(what): processes \(processes)", sourceLocation: sourceLocation)
    #expect(mounts.isEmpty, "\(what): mounts \(mounts)", sourceLocation: sourceLocation)
    #expect(groups.isEmpty, "\(what): cgroups \(groups)", sourceLocation: sourceLocation)
    return processes.count + mounts.count + groups.count
}

/// After the recovery pass: no `tmp/` entry or lease is left (nothing else runs on the store), one collection
/// leaves nothing unreachable, and `system verify` passes. Returns how many leftovers there were.
@discardableResult
func expectConsistentStore(_ store: CollectionStore, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    let recovered = try StoreLeftovers.of(store.root)
    #expect(recovered.tmp.isEmpty && recovered.leases.isEmpty, "\(what): after recovery \(recovered)", sourceLocation: sourceLocation)
    #expect(try store.run(["system", "prune"]).status == 0, sourceLocation: sourceLocation)
    let left = try StoreLeftovers.of(store.root)
    #expect(left.isEmpty, "\(what): after collection \(left)", sourceLocation: sourceLocation)
    #expect(try store.verified(), "\(what)", sourceLocation: sourceLocation)
    return recovered.tmp.count + recovered.leases.count + left.count
}

/// The seed of the kill points (`ESTIBA_TEST_SEED`), mixed with `salt` so each test has its own.
func killSeed(_ salt: UInt64) -> UInt64 {
    (ProcessInfo.processInfo.environment["ESTIBA_TEST_SEED"].flatMap(UInt64.init) ?? 20_261_130) &+ salt
}

/// How many kills each test tries: ≥ 25 with `ESTIBA_SLOW_TESTS=1`, 5 otherwise.
var killTries: Int { slowTests ? 25 : 5 }

extension CollectionStore {
    /// Container `spec`'s `{{.State.Status}} {{.State.ExitCode}}`, or nil when it has no record.
    func state(_ spec: String) throws -> String? {
        let r = try run(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", spec])
        return r.status == 0 ? r.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Stops container `spec` under a deadline (a stop that never returns fails instead of holding up the suite).
    func stop(_ spec: String) throws -> (status: Int32, output: String) {
        try runProgram("/usr/bin/timeout", ["60", Paths.estiba, "--root", root, "stop", "-t", "1", spec])
    }
}
