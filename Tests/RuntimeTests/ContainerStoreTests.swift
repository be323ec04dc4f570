import EstibaJSON
import Runtime
import System
import Testing

/// Container records on disk: atomic writes, name claims, removal.
@Suite struct ContainerStoreTests {
    func record(_ id: String, name: String) -> ContainerRecord {
        ContainerRecord(id: id, name: name, image: "busybox", imageID: "sha256:00", command: ["sh"], created: 1, lowerDirectories: [])
    }

    @Test func aRecordWriteThatRunsOutOfSpaceSaysSoAndKeepsTheOldRecord() throws {
        let dir = try temporaryDirectory("store-full")
        defer { removeTree(dir) }
        try Files.makeDirectory(dir + "/small")
        try Mounts.mount("tmpfs", on: dir + "/small", type: "tmpfs", options: "size=64k")
        defer { try? Mounts.detach(dir + "/small") }
        let store = try ContainerStore(directory: dir + "/small/containers")
        let file = store.directory + "/record.json"
        try store.write(Array("{\"good\":true}".utf8), to: file)

        let error = #expect(throws: EstibaError.self) { try store.write(Array(repeating: 0x20, count: 1 << 20), to: file) }
        #expect(error?.message.contains("No space left on device") == true)
        #expect(try Files.read(file) == Array("{\"good\":true}".utf8))
        #expect(try FileDescriptor.open(store.directory, .directory).names() == ["record.json"])
    }

    @Test func aNameIsClaimedOnceAndFreedWithItsContainer() throws {
        let dir = try temporaryDirectory("store-names")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        let first = ContainerStore.newID()
        let second = ContainerStore.newID()
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit) && first != second)
        try store.create(record(first, name: "web"))
        #expect(try store.find("web").id == first)
        let taken = #expect(throws: EstibaError.self) { try store.create(record(second, name: "web")) }
        #expect(taken?.message == "The name \"web\" is already used by container \(first.prefix(12)); remove it (estiba rm web) or choose another name.")
        #expect(!Files.exists(store.path(second)))

        store.remove(first)
        #expect(store.all().isEmpty && !Files.exists(store.path(first)))
        try store.create(record(second, name: "web"))
        #expect(store.all().map(\.id) == [second])
    }

    @Test func aNameLeftByAKilledCreateIsTakenOverButALiveClaimIsNot() throws {
        let dir = try temporaryDirectory("store-claims")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        try Files.makeDirectory(store.directory + "/.names")
        // What a create killed after claiming the name leaves: the claim, and no record.
        try Files.write(Array(ContainerStore.newID().utf8), to: store.directory + "/.names/left")
        let id = ContainerStore.newID()
        try store.create(record(id, name: "left"))
        #expect(try store.find("left").id == id)
        // A claim whose claimant is still at work (it holds the claim's lock) is not taken.
        try Files.write([], to: store.directory + "/.names/busy")
        let claimant = try FileDescriptor.open(store.directory + "/.names/busy")
        #expect(try claimant.lock(exclusive: true, wait: false))
        let taken = #expect(throws: EstibaError.self) { try store.create(record(ContainerStore.newID(), name: "busy")) }
        #expect(taken?.code == .conflict)
        claimant.close()
    }

    @Test func directoriesLeftByKilledCreatesAndRemovesAreClearedButOneBeingCreatedIsNot() throws {
        let dir = try temporaryDirectory("store-abandoned")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        let kept = ContainerStore.newID()
        try store.create(record(kept, name: "kept"))
        // A create killed after making the directory, before the record: its claim is unlocked.
        let abandoned = ContainerStore.newID()
        try Files.makeDirectory(store.path(abandoned))
        try Files.write(Array(abandoned.utf8), to: store.directory + "/.names/abandoned")
        // A create at work: its claim is locked.
        let busy = ContainerStore.newID()
        try Files.makeDirectory(store.path(busy))
        try Files.write(Array(busy.utf8), to: store.directory + "/.names/busy")
        let claimant = try FileDescriptor.open(store.directory + "/.names/busy")
        #expect(try claimant.lock(exclusive: true, wait: false))
        // A removal whose process died part-way (no process has pid 2^22 + 1 here: pid_max is at most 2^22).
        try Files.makeDirectory(store.directory + "/.removing-\(ContainerStore.newID())-4194305")

        store.removeAbandonedDirectories()
        let left = try FileDescriptor.open(store.directory, .directory).names().sorted()
        #expect(left == [".names", busy, kept].sorted())
        #expect(try FileDescriptor.open(store.directory + "/.names", .directory).names().sorted() == ["busy", "kept"])
        claimant.close()
        store.removeAbandonedDirectories()
        #expect(try FileDescriptor.open(store.directory, .directory).names().sorted() == [".names", kept].sorted())
        #expect(try store.find("kept").id == kept)
    }

    @Test func anExitIsRecordedOnceWithItsCodeOrRemovesTheContainer() throws {
        let dir = try temporaryDirectory("store-exits")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        var running = record(ContainerStore.newID(), name: "ran")
        try store.create(running)
        running.state = .running
        running.pid = 4_194_305
        running.monitorPid = 4_194_305
        try store.save(running)
        // What a keeper writes; the recorded code must not be found by the next start.
        try Files.write(Array("7\n".utf8), to: store.exitFile(running.id))
        #expect(Keeping.recordedEnd(in: store.exitFile(running.id)) == .exited(7))
        let recorded = store.recordExit(running, code: 7)
        #expect(recorded?.state == .exited && recorded?.exitCode == 7 && recorded?.pid == nil && recorded?.monitorPid == nil)
        #expect(store.record(running.id)?.exitCode == 7 && store.record(running.id)?.finishedAt != nil)
        #expect(!Files.exists(store.exitFile(running.id)))
        #expect(Keeping.recordedEnd(in: store.exitFile(running.id)) == nil)

        var removed = record(ContainerStore.newID(), name: "rm")
        removed.autoRemove = true
        try store.create(removed)
        #expect(store.recordExit(removed, code: 0) == nil)
        #expect(store.record(removed.id) == nil && !Files.exists(store.path(removed.id)))
    }

    @Test func connectedNetworksRoundTripAndSurviveTheEndOfARunThatStartedWithout() throws {
        var r = record(ContainerStore.newID(), name: "connected")
        r.networkMode = "bridge"
        r.connectedNetworks = [NetworkConnection(network: "n1", aliases: ["svc"]), NetworkConnection(network: "n2")]
        let back = try #require(ContainerRecord(json: try JSONValue.parse(r.json.encodedPretty())))
        #expect(back == r && back.networks.map(\.network) == ["bridge", "n1", "n2"] && back.networks[1].aliases == ["svc"])
        // A record written before connections were kept has none; none and host modes have no network.
        var fields = try #require(r.json.objectValue)
        fields["connectedNetworks"] = nil
        let old = JSONValue.object(fields)
        #expect(old["networkMode"] == "bridge" && old["connectedNetworks"] == nil && ContainerRecord(json: old)?.connectedNetworks == [])
        r.networkMode = "host"
        #expect(r.networks.map(\.network) == ["n1", "n2"])
        // Its mode's network disconnected: the mode stays, the network is left out, and that too round-trips.
        r.networkMode = "bridge"
        r.modeNetworkDisconnected = true
        let disconnected = try #require(ContainerRecord(json: try JSONValue.parse(r.json.encodedPretty())))
        #expect(disconnected.networkMode == "bridge" && disconnected.networks.map(\.network) == ["n1", "n2"])

        // Connected while it ran: its end, recorded from the record its start knew, keeps the connection.
        let dir = try temporaryDirectory("store-connected")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        var running = record(ContainerStore.newID(), name: "ran")
        running.networkMode = "bridge"
        try store.create(running)
        running.state = .running
        try store.save(running)
        var connected = running
        connected.connectedNetworks = [NetworkConnection(network: "n1")]
        try store.save(connected)
        #expect(store.recordExit(running, code: 0)?.connectedNetworks == [NetworkConnection(network: "n1")])
        #expect(store.record(running.id)?.connectedNetworks == [NetworkConnection(network: "n1")])
    }

    @Test func aStartNeverLetGoLeavesTheContainerCreatedOrRemoved() throws {
        let dir = try temporaryDirectory("store-never-started")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        var kept = record(ContainerStore.newID(), name: "kept")
        try store.create(kept)
        kept.state = .running
        kept.pid = 4_194_305
        kept.monitorPid = 4_194_305
        kept.startedAt = 1_700_000_000
        try store.save(kept)
        try Files.write(Array("never started\n".utf8), to: store.exitFile(kept.id))
        #expect(Keeping.recordedEnd(in: store.exitFile(kept.id)) == .neverStarted)
        let again = store.recordNeverStarted(kept)
        #expect(again?.state == .created && again?.pid == nil && again?.monitorPid == nil && again?.startedAt == nil)
        #expect(store.record(kept.id) == again && again?.exitCode == nil)
        #expect(!Files.exists(store.exitFile(kept.id)))

        var removed = record(ContainerStore.newID(), name: "rm")
        removed.autoRemove = true
        try store.create(removed)
        #expect(store.recordNeverStarted(removed) == nil)
        #expect(store.record(removed.id) == nil && !Files.exists(store.path(removed.id)))
    }

    @Test func referencesThatFindNoneOrSeveralSaySoInTheirClass() throws {
        let dir = try temporaryDirectory("store-references")
        defer { removeTree(dir) }
        let store = try ContainerStore(directory: dir + "/containers")
        try store.create(record("abc1" + String(repeating: "0", count: 60), name: "one"))
        try store.create(record("abc2" + String(repeating: "0", count: 60), name: "two"))
        #expect(try store.find("abc1").name == "one")
        let ambiguous = #expect(throws: EstibaError.self) { try store.find("abc") }
        #expect(ambiguous?.code == .conflict && ambiguous?.message.contains("matches 2 containers") == true)
        #expect((#expect(throws: EstibaError.self) { try store.find("nothing") })?.code == .notFound)
        #expect((#expect(throws: EstibaError.self) { try store.find("") })?.code == .invalidArgument)
        let badName = #expect(throws: EstibaError.self) { try store.create(record(ContainerStore.newID(), name: "-x")) }
        #expect(badName?.code == .invalidArgument)
        #expect((#expect(throws: EstibaError.self) { try store.create(record(ContainerStore.newID(), name: "one")) })?.code == .conflict)
    }

    @Test func removingAContainerLeavesWhatItsLinksPointAt() throws {
        let dir = try temporaryDirectory("store-links")
        defer { removeTree(dir) }
        try write("outside\n", to: dir + "/outside/file")
        let store = try ContainerStore(directory: dir + "/containers")
        let id = ContainerStore.newID()
        let snapshot = try store.create(record(id, name: "linked"))
        try Files.makeSymbolicLink(snapshot.upper + "/escape", to: dir + "/outside")
        try Files.makeSymbolicLink(snapshot.upper + "/file", to: dir + "/outside/file")
        store.remove(id)
        #expect(!Files.exists(store.path(id)))
        #expect(try Files.read(dir + "/outside/file") == Array("outside\n".utf8))
        // Nothing is left behind under another name either.
        #expect(try FileDescriptor.open(store.directory, .directory).names() == [".names"])
    }
}
