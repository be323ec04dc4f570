import Runtime
import System
import Testing

/// A container's cgroups: made with their limits, joined, and removed once empty.
@Suite struct CgroupsTests {
    func newID() -> String { "test-" + ContainerStore.newID().prefix(16) }

    @Test func limitsAreWrittenAProcessJoinsAndTheGroupsGoAfterIt() async throws {
        let id = newID()
        let groups = try Cgroups.create(id: id, limits: ResourceLimits(memoryBytes: 64 << 20, pids: 42))
        defer { groups.remove() }
        #expect(!groups.directories.isEmpty)
        #expect(Set(Cgroups.existing(id: id).directories) == Set(groups.directories))
        let pidsGroup = try #require(groups.directories.first { Files.exists($0 + "/pids.max") })
        #expect(try Files.read(pidsGroup + "/pids.max") == Array("42\n".utf8))

        var spawn = Spawn(executable: "sleep", arguments: ["sleep", "30"])
        spawn.searchPath = true
        let pid = try spawn.start()
        try groups.add(pid)
        let members = String(decoding: try Files.read(pidsGroup + "/cgroup.procs"), as: UTF8.self)
        #expect(members.split(separator: "\n").contains(Substring(String(pid))))
        try Processes.send(.kill, to: pid)
        _ = try await Processes.waitInBackground(for: pid)
        groups.remove()
        #expect(groups.directories.allSatisfy { !Files.exists($0) })
    }

    @Test func aLimitTheKernelRefusesIsAClearErrorAndLeavesNoGroup() throws {
        let id = newID()
        let error = #expect(throws: EstibaError.self) { try Cgroups.create(id: id, limits: ResourceLimits(pids: -5)) }
        #expect(error?.message.hasPrefix("Cannot set a limit (") == true)
        #expect(error?.message.hasSuffix("Invalid argument. Run as root on a host with cgroups, or drop the resource limits.") == true)
        #expect(error?.stage == "cgroups")
        #expect(Cgroups.existing(id: id).directories.isEmpty)
    }
}
