import EstibaJSON
import Foundation
import Glibc
import Testing

/// Every process is supervised: a client, build or commit killed with SIGKILL at any moment leaves no process
/// running or stuck, no paused container, and no cgroup or mount behind, once the store is opened again.
/// Kill points are seeded (`ESTIBA_TEST_SEED`); `ESTIBA_SLOW_TESTS=1` tries more of them.
@Suite(.serialized) struct SupervisionTests {
    static let slow = ProcessInfo.processInfo.environment["ESTIBA_SLOW_TESTS"] != nil
    static var tries: Int { slow ? 25 : 6 }

    /// A small seeded generator (the kill points repeat from run to run).
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init() {
            let seed = ProcessInfo.processInfo.environment["ESTIBA_TEST_SEED"].flatMap(UInt64.init) ?? 20_261_130
            state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        }
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    /// Starts `estiba --root ROOT args`, lets it run `delay` seconds, then kills it with SIGKILL and reaps it.
    func killed(_ cli: RuntimeTests.CLI, _ args: [String], after delay: Double) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["--root", cli.root] + args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(useconds_t(delay * 1_000_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// Processes whose command line contains `text` (NUL-separated arguments joined by spaces).
    static func processes(matching text: String) -> [String] {
        let me = getpid()
        var out: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me else { continue }
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty else { continue }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if line.contains(text) { out.append("\(pid): \(line)") }
        }
        return out
    }

    /// Waits up to `seconds` for `condition` (a deadline, not a timing assertion); returns whether it held.
    func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// The cgroup directories of container `id`, under every controller.
    static func cgroups(of id: String) -> [String] {
        let base = "/sys/fs/cgroup"
        let dirs = ["pids", "memory", "cpu", "freezer", "devices", "unified"].map { "\(base)/\($0)/estiba/\(id)" } + ["\(base)/estiba/\(id)"]
        return dirs.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The build-step cgroups (v1 freezer or v2) of every store: `step-<store hash>-<scratch directory>`.
    static func stepGroups() -> Set<String> {
        let dirs = ["/sys/fs/cgroup/freezer/estiba", "/sys/fs/cgroup/estiba"]
        return Set(dirs.flatMap { ((try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []).filter { $0.hasPrefix("step-") } })
    }

    /// The container IDs the store has records for.
    static func containerIDs(_ cli: RuntimeTests.CLI) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/containers")) ?? []).filter { $0.count == 64 }
    }

    static func storeMounts(_ cli: RuntimeTests.CLI) -> [String] {
        let text = (try? procText("/proc/self/mountinfo")) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains(cli.root) }
    }

    func store() throws -> RuntimeTests.CLI? { try RuntimeTests().busyboxStore() }
    func cleanUp(_ cli: RuntimeTests.CLI) {
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path)
    }

    @Test func aLaunchKilledAtAnyPointLeavesNothingBehind() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        var random = Seeded()
        var seen = Set<String>()
        for _ in 0..<Self.tries {
            try killed(cli, ["run", "--rm", "busybox", "true"], after: Double(random.next() % 300) / 1000)
            seen.formUnion(Self.containerIDs(cli))
        }
        // No launcher child or engine process of this store is left, running or stuck.
        let gone = eventually { Self.processes(matching: cli.root).isEmpty }
        #expect(gone, "\(Self.processes(matching: cli.root))")
        // One recovery pass (any command) settles the rest: nothing listed, no cgroup, no mount.
        let listed = try cli.run(["ps", "-a", "-q"])
        let left = Self.containerIDs(cli).map { (try? String(contentsOfFile: cli.root + "/containers/\($0)/record.json", encoding: .utf8)) ?? $0 }.joined()
        #expect(listed.status == 0 && listed.output.isEmpty, "\(listed.output)\(left)")
        seen.formUnion(Self.containerIDs(cli))
        for id in seen { #expect(Self.cgroups(of: id).isEmpty, "\(id): \(Self.cgroups(of: id))") }
        #expect(Self.storeMounts(cli).isEmpty, "\(Self.storeMounts(cli))")
    }

    /// Starts `estiba --root ROOT args` with standard input from a pipe it returns (the output goes nowhere).
    func started(_ cli: RuntimeTests.CLI, _ args: [String]) throws -> (process: Process, input: Pipe) {
        let p = Process()
        let input = Pipe()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["--root", cli.root] + args
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, input)
    }

    @Test func aForegroundContainerOutlivesItsKilledClientUnderItsKeeper() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        // --rm: the container goes on after its client is killed, and its keeper removes it when it ends, with
        // its cgroups, without any other command.
        let (p, _) = try started(cli, ["run", "--rm", "--name", "fg", "busybox", "sleep", "2.31"])
        let up = try eventually { try cli.run(["ps"]).output.contains(" fg\n") }
        #expect(up)
        let fg = try cli.run(["inspect", "-f", "{{.Id}}", "fg"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!Self.cgroups(of: fg).isEmpty)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try cli.run(["ps"]).output.contains(" fg\n"), "the container died with its client")
        #expect(!Self.processes(matching: "sleep 2.31").isEmpty)
        #expect(eventually { Self.containerIDs(cli).isEmpty && Self.processes(matching: "sleep 2.31").isEmpty }, "\(Self.containerIDs(cli))")
        #expect(eventually { Self.cgroups(of: fg).isEmpty }, "\(Self.cgroups(of: fg))")
        #expect(eventually { Self.processes(matching: cli.root).isEmpty }, "\(Self.processes(matching: cli.root))")

        // Without --rm its exit code is recorded; with -i its input ends with the client (end of file).
        let (q, input) = try started(cli, ["run", "-i", "--name", "kept", "busybox", "sh", "-c", "cat >/dev/null; sleep 0.5; exit 7"])
        #expect(try eventually { try cli.run(["ps"]).output.contains(" kept\n") })
        kill(q.processIdentifier, SIGKILL)
        q.waitUntilExit()
        #expect(eventually { (try? cli.run(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "kept"]).output) == "exited 7\n" })
        try? input.fileHandleForWriting.close()
        let kept = try cli.run(["inspect", "-f", "{{.Id}}", "kept"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(eventually { Self.cgroups(of: kept).isEmpty }, "\(Self.cgroups(of: kept))")
        #expect(try cli.run(["rm", "kept"]).status == 0)

        // rm -f takes the cgroups with the container.
        #expect(try cli.run(["run", "-d", "--name", "bg", "busybox", "sleep", "30"]).status == 0)
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "bg"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!Self.cgroups(of: id).isEmpty)
        #expect(try cli.run(["rm", "-f", "bg"]).status == 0)
        #expect(Self.cgroups(of: id).isEmpty, "\(Self.cgroups(of: id))")
    }

    @Test func aKilledCommitNeverLeavesTheContainerPaused() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        #expect(try cli.run(["run", "-d", "--name", "busy", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=8; sleep 300"]).status == 0)
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "busy"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        func frozen() -> Bool {
            let v1 = "/sys/fs/cgroup/freezer/estiba/\(id)/freezer.state"
            let v2 = "/sys/fs/cgroup/estiba/\(id)/cgroup.freeze"
            if let s = try? String(contentsOfFile: v1, encoding: .utf8) { return !s.hasPrefix("THAWED") }
            if let s = try? String(contentsOfFile: v2, encoding: .utf8) { return s.hasPrefix("1") }
            return false
        }
        var random = Seeded()
        var leftFrozen = 0
        for i in 0..<Self.tries {
            try killed(cli, ["commit", "busy", "snap:\(i)"], after: Double(random.next() % 400) / 1000)
            if frozen() { leftFrozen += 1 }
            // The next command finds it paused with no live commit, and thaws it.
            #expect(try cli.run(["ps"]).status == 0)
            #expect(!frozen(), "try \(i)")
        }
        let stopped = try runProgram("/usr/bin/timeout", ["60", Paths.estiba, "--root", cli.root, "stop", "-t", "1", "busy"])
        #expect(stopped.status == 0, "\(stopped.output) (\(leftFrozen) commits killed while it was paused)")
        #expect(try cli.run(["rm", "-f", "busy"]).status == 0)
    }

    @Test func aClientThatGoesAwayEndsTheInputAndRemoveHolds() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(1, "run", ["image": "busybox", "command": ["cat"], "interactive": true, "rm": true, "name": "left"]))
        let started = try #require(try s.reader.json(timeout: 60))
        #expect(started["method"] == "container/started", "\(started)")
        // The client gives up on the run: `cat` gets end of input, exits, and the container is removed.
        s.sendLine(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#)
        var reply: JSONValue?
        while let m = try s.reader.json(timeout: 60) {
            if m["id"] == .int(1), m["method"] == nil {
                reply = m
                break
            }
        }
        #expect(reply != nil)
        let removed = try eventually { !(try cli.run(["ps", "-a"]).output.contains(" left\n")) }
        #expect(removed)
    }

    @Test func aClientThatClosesItsConnectionEndsTheInputAndRemoveHolds() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(1, "run", ["image": "busybox", "command": ["cat"], "interactive": true, "rm": true, "name": "closed"]))
        let started = try #require(try s.reader.json(timeout: 60))
        #expect(started["method"] == "container/started", "\(started)")
        // The client closes its side without a word: `cat` gets end of input and exits, the run still answers,
        // and the container is removed.
        s.closeInput()
        var reply: JSONValue?
        while let m = try s.reader.json(timeout: 60) {
            if m["id"] == .int(1), m["method"] == nil {
                reply = m
                break
            }
        }
        #expect(reply?["result"]?["ExitCode"] == .int(0), "\(String(describing: reply))")
        let removed = try eventually { !(try cli.run(["ps", "-a"]).output.contains(" closed\n")) }
        #expect(removed)
    }

    @Test func aKilledBuildKillsItsRunStep() throws {
        guard let cli = try store() else { return }
        defer { cleanUp(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().appendingPathComponent("ctx").path
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        // A duration no other test uses, to find the step's process.
        let marker = "sleep 67.25"
        try "FROM busybox\nRUN \(marker)\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["--root", cli.root, "build", "--no-cache", "-t", "slow:1", ctx]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let running = eventually(60) { !Self.processes(matching: marker).isEmpty }
        #expect(running)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let gone = eventually { Self.processes(matching: marker).isEmpty }
        #expect(gone, "\(Self.processes(matching: marker))")
        // The next command's recovery pass removes the step's cgroups (named after its scratch directory).
        let scratch = ((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/tmp")) ?? []).filter { $0.hasPrefix("step-") }
        func mine() -> Set<String> { Self.stepGroups().filter { g in scratch.contains { g.hasSuffix("-" + $0) } } }
        #expect(!mine().isEmpty)
        #expect(try cli.run(["ps"]).status == 0)
        #expect(mine().isEmpty, "\(mine())")
        for pid in Self.processes(matching: marker).compactMap({ Int32($0.prefix { $0 != ":" }) }) { kill(pid, SIGKILL) }
    }
}
