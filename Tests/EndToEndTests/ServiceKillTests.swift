import EstibaJSON
import Foundation
import Glibc
import Testing

/// The JSON-RPC service killed with SIGKILL at seeded random points (`ESTIBA_TEST_SEED`) of an attached `run`, a
/// `build` inside a long `RUN`, and an `import`: its foreground containers stay under their keepers (and end
/// recorded, or removed with `rm`), its build steps die with it, and after one recovery pass nothing of it runs,
/// stays mounted or keeps a cgroup, `tmp/` and the leases are empty, the store verifies, and the request made
/// again gives the same result.
@Suite(.serialized) struct ServiceKillTests {
    /// Reads `service`'s messages until the reply to request 1.
    func reply(_ reader: DescriptorReader) throws -> JSONValue? {
        while let m = try reader.json(timeout: 120) {
            if m["id"] == .int(1), m["method"] == nil { return m }
        }
        return nil
    }

    /// Kills `process` with SIGKILL after `delay` seconds and reaps it.
    func kill9(_ process: Process, after delay: Double) {
        usleep(useconds_t(delay * 1_000_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The scratch directories of build steps in the store's `tmp/` (their cgroups are named after them).
    func scratch(_ store: CollectionStore) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp")) ?? []).filter { $0.hasPrefix("step-") }
    }

    @Test func aKilledServiceLeavesItsAttachedContainersSupervised() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let marker = "sleep 30.53"
        /// Runs `marker` attached through a new service, stops it from the CLI once it runs: the run's exit code.
        func runAndStop(_ name: String, rm: Bool) throws -> (code: JSONValue?, seconds: Double) {
            let s = try StdioService(root: store.root)
            defer { _ = try? s.terminate() }
            let start = Date()
            s.sendLine(request(1, "run", ["image": "busybox", "command": ["busybox", "sleep", "30.53"], "name": .string(name), "rm": .bool(rm)]))
            let started = try s.reader.json(timeout: 60)
            let elapsed = Date().timeIntervalSince(start)
            #expect(started?["method"] == "container/started", "\(String(describing: started))")
            #expect(try store.stop(name).status == 0)
            return (try reply(s.reader)?["result"]?["ExitCode"], elapsed)
        }
        let first = try runAndStop("fg", rm: true)
        #expect(first.code == .int(137), "\(String(describing: first.code))")
        var generator = SeededGenerator(seed: killSeed(21))
        var leftovers = 0
        var kept = 0
        for k in 0..<killTries {
            let name = "fg\(k)"
            let rm = k % 2 == 0
            let s = try StdioService(root: store.root)
            s.sendLine(request(1, "run", ["image": "busybox", "command": ["busybox", "sleep", "30.53"], "name": .string(name), "rm": .bool(rm)]))
            let point = Double.random(in: 0.05...1.6, using: &generator) * first.seconds
            kill9(s.process, after: point)
            let ids = Set(SupervisionTests.containerIDs(store.cli))
            #expect(try store.run(["ps", "-a"]).status == 0)
            let what = "run kill \(k) at \(point)s"
            // Never created, never started (and removed with rm), or still running under its keeper, which
            // records its end when it is stopped: exited 137, or removed (rm).
            var state = try store.state(name)
            if state?.hasPrefix("running") == true {
                kept += 1
                #expect(!SupervisionTests.processes(matching: marker).isEmpty, "\(what)")
                #expect(try store.stop(name).status == 0, "\(what)")
                state = try store.state(name)
            }
            #expect(state == nil || (!rm && (state == "exited 137" || state == "created 0")), "\(what): \(String(describing: state))")
            leftovers += expectNoProcessMountOrCgroup(store, marker: marker, containers: ids, what)
            leftovers += try expectConsistentStore(store, what)
            if state != nil { #expect(try store.run(["rm", name]).status == 0, "\(what)") }
            let again = try runAndStop(name, rm: rm)
            #expect(again.code == first.code, "\(what): again \(String(describing: again.code))")
            if !rm { #expect(try store.run(["rm", name]).status == 0) }
        }
        print("service kill -9 during an attached run: \(killTries) kills, \(kept) containers kept running, leftovers \(leftovers)")
        #expect(leftovers == 0)
    }

    @Test func aKilledServiceTakesItsBuildStepWithIt() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let marker = "sleep 30.67"
        let ctx = try store.context("ctx", "FROM busybox\nARG T=30.67\nRUN sleep $T && echo done > /done\n")
        func build(_ args: [String: String]) -> String {
            request(1, "build", ["context": .string(ctx), "tags": ["kb:1"], "noCache": true, "buildArgs": .object(JSONObject(args.map { ($0.key, JSONValue.string($0.value)) }))])
        }
        /// Builds with a short step through a new service: the image's `/done`, and how long the build took.
        func quickBuild() throws -> (done: String, seconds: Double) {
            let s = try StdioService(root: store.root)
            defer { _ = try? s.terminate() }
            let start = Date()
            s.sendLine(build(["T": "0.1"]))
            let r = try reply(s.reader)
            let elapsed = Date().timeIntervalSince(start)
            #expect(r?["result"] != nil, "\(String(describing: r))")
            return (try store.run(["run", "--rm", "kb:1", "cat", "/done"]).output, elapsed)
        }
        let first = try quickBuild()
        #expect(first.done == "done\n")
        var generator = SeededGenerator(seed: killSeed(22))
        var leftovers = 0
        var inStep = 0
        for k in 0..<killTries {
            let s = try StdioService(root: store.root)
            s.sendLine(build([:]))
            let point = Double.random(in: 0.05...1.5, using: &generator) * first.seconds
            usleep(useconds_t(point * 1_000_000))
            if !SupervisionTests.processes(matching: marker).isEmpty { inStep += 1 }
            kill9(s.process, after: 0)
            let steps = scratch(store)
            #expect(try store.run(["ps", "-a"]).status == 0)
            let what = "build kill \(k) at \(point)s"
            leftovers += expectNoProcessMountOrCgroup(store, marker: marker, containers: [], scratch: steps, what)
            leftovers += try expectConsistentStore(store, what)
            let again = try quickBuild()
            #expect(again.done == first.done, "\(what)")
        }
        print("service kill -9 during a build: \(killTries) kills (\(inStep) inside the RUN step), leftovers \(leftovers)")
        #expect(leftovers == 0)
    }

    @Test func aKilledServiceImportLeavesNothing() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let big = store.base + "/big"
        try FileManager.default.createDirectory(atPath: big + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: store.base + "/rootfs/bin", toPath: big + "/bin")
        for i in 0..<4 { try Data(repeating: UInt8(i), count: 6 << 20).write(to: URL(fileURLWithPath: big + "/data/\(i)")) }
        let socket = store.base + "/s.sock"
        /// Imports through a new service on the socket: the image's layers, and how long the import took.
        func importOnce() throws -> (layers: String, seconds: Double) {
            unlink(socket)
            let s = try SocketService(path: socket, root: store.root)
            defer { _ = try? s.terminate() }
            let start = Date()
            let r = try s.client().call("import", ["source": .string(big), "reference": "big:1"])
            let elapsed = Date().timeIntervalSince(start)
            #expect(r["result"] != nil, "\(r)")
            return (try store.run(["inspect", "-f", "{{json .RootFS.Layers}}", "big:1"]).output, elapsed)
        }
        let first = try importOnce()
        var generator = SeededGenerator(seed: killSeed(23))
        var leftovers = 0
        for k in 0..<killTries {
            unlink(socket)
            let s = try SocketService(path: socket, root: store.root)
            let client = try s.client()
            client.sendLine(request(1, "import", ["source": .string(big), "reference": "big:1"]))
            let point = Double.random(in: 0.05...1.1, using: &generator) * first.seconds
            kill9(s.process, after: point)
            #expect(try store.run(["ps", "-a"]).status == 0)
            let what = "import kill \(k) at \(point)s"
            leftovers += expectNoProcessMountOrCgroup(store, marker: "", containers: [], what)
            leftovers += try expectConsistentStore(store, what)
            let again = try importOnce()
            #expect(again.layers == first.layers, "\(what)")
        }
        unlink(socket)
        print("service kill -9 during an import: \(killTries) kills, leftovers \(leftovers)")
        #expect(leftovers == 0)
    }
}
