import EstibaJSON
import Foundation
import Glibc
import Testing

/// What a hostile image, archive or interrupted build must not be able to do to the host or the store.
@Suite(.serialized) struct StoreSecurityTests {
    typealias CLI = RuntimeTests.CLI

    /// `estiba --root ROOT args…`, killed (and reported as status -1) when it runs longer than `timeout` seconds.
    func run(_ cli: CLI, _ args: [String], timeout: TimeInterval = 30) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["--root", cli.root] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let collected = OutputCollector(out.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while p.isRunning {
            if Date() > deadline {
                kill(p.processIdentifier, SIGKILL)
                timedOut = true
            }
            usleep(10_000)
        }
        p.waitUntilExit()
        let text = collected.finish()
        return (timedOut ? -1 : p.terminationStatus, text)
    }

    /// A scratch directory with a store in `store/` and a busybox root file system in `rootfs/` to change and
    /// import (its /etc is left to the test).
    func scratch() throws -> (dir: String, cli: CLI) {
        let dir = try Paths.temporaryDirectory().path
        let rootfs = dir + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/tmp", withIntermediateDirectories: true)
        chmod(rootfs + "/tmp", 0o1777)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for a in ["sh", "id", "cat", "ln", "stat", "true", "sleep", "echo"] { symlink("busybox", rootfs + "/bin/" + a) }
        return (dir, CLI(root: dir + "/store"))
    }

    func ready() -> Bool {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            Issue.record("these tests need root and busybox-static")
            return false
        }
        return true
    }

    @Test func userLookupNeverReadsAHostDeviceThroughTheImagesPasswd() throws {
        guard ready() else { return }
        let (dir, cli) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/rootfs/etc", withIntermediateDirectories: true)
        symlink("/dev/zero", dir + "/rootfs/etc/passwd")
        symlink("/dev/zero", dir + "/rootfs/etc/group")
        var r = try run(cli, ["import", "-c", "ENV PATH=/bin", dir + "/rootfs", "zero:latest"])
        #expect(r.status == 0, "\(r.output)")

        let started = Date()
        r = try run(cli, ["run", "--rm", "-u", "nobody", "zero", "true"])
        #expect(r.status != 0 && r.status != -1, "\(r.output)")
        #expect(r.output.contains("Unable to find user nobody"), "\(r.output)")

        let ctx = dir + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "data\n".write(toFile: ctx + "/f", atomically: true, encoding: .utf8)
        try "FROM zero\nUSER nobody\nRUN true\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try run(cli, ["build", "-t", "zero-user", ctx])
        #expect(r.status != 0 && r.status != -1, "\(r.output)")
        #expect(r.output.contains("Unable to find user nobody"), "\(r.output)")

        try "FROM zero\nCOPY --chown=nobody:nogroup f /f\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try run(cli, ["build", "-t", "zero-chown", ctx])
        #expect(r.status != 0 && r.status != -1, "\(r.output)")
        #expect(r.output.contains("unable to find user nobody") || r.output.contains("Unable to find user nobody"), "\(r.output)")
        #expect(Date().timeIntervalSince(started) < 60, "each lookup fails at once")

        // A passwd too large to be one is refused with a clear error.
        try FileManager.default.removeItem(atPath: dir + "/rootfs/etc/passwd")
        try Data(repeating: 0x61, count: 5 << 20).write(to: URL(fileURLWithPath: dir + "/rootfs/etc/passwd"))
        r = try run(cli, ["import", "-c", "ENV PATH=/bin", dir + "/rootfs", "big:latest"])
        #expect(r.status == 0, "\(r.output)")
        r = try run(cli, ["run", "--rm", "-u", "nobody", "big", "true"])
        #expect(r.status != 0 && r.status != -1, "\(r.output)")
        #expect(r.output.contains("The image's /etc/passwd is larger than 4 MiB"), "\(r.output)")
    }

    @Test func userLookupResolvesLinksInsideTheImageAcrossItsLayers() throws {
        guard ready() else { return }
        let (dir, cli) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A passwd on the host that an image's absolute /etc link names: it must not be used.
        let hostEtc = dir + "/host-etc"
        try FileManager.default.createDirectory(atPath: hostEtc, withIntermediateDirectories: true)
        try "hostonly:x:4141:4141::/:/bin/sh\n".write(toFile: hostEtc + "/passwd", atomically: true, encoding: .utf8)
        try "hostonly:x:4141:\n".write(toFile: hostEtc + "/group", atomically: true, encoding: .utf8)
        symlink(hostEtc, dir + "/rootfs/etc")
        var r = try run(cli, ["import", "-c", "ENV PATH=/bin", dir + "/rootfs", "hostlink:latest"])
        #expect(r.status == 0, "\(r.output)")
        r = try run(cli, ["run", "--rm", "-u", "hostonly", "hostlink", "id", "-u"])
        #expect(r.status != 0 && r.status != -1, "\(r.output)")
        #expect(r.output.contains("Unable to find user hostonly"), "\(r.output)")

        // In-image links: the top layer's /etc/passwd -> /data/etc/passwd, a file of the layer below.
        try FileManager.default.removeItem(atPath: dir + "/rootfs/etc")
        try FileManager.default.createDirectory(atPath: dir + "/rootfs/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/rootfs/data/etc", withIntermediateDirectories: true)
        try "root:x:0:0::/root:/bin/sh\n".write(toFile: dir + "/rootfs/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: dir + "/rootfs/etc/group", atomically: true, encoding: .utf8)
        try "root:x:0:0::/root:/bin/sh\nalice:x:4242:4343::/home/alice:/bin/sh\n"
            .write(toFile: dir + "/rootfs/data/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nstaff:x:4343:alice\nextra:x:4444:alice\n".write(toFile: dir + "/rootfs/data/etc/group", atomically: true, encoding: .utf8)
        r = try run(cli, ["import", "-c", "ENV PATH=/bin", dir + "/rootfs", "layered:latest"])
        #expect(r.status == 0, "\(r.output)")
        let ctx = dir + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "data\n".write(toFile: ctx + "/f", atomically: true, encoding: .utf8)
        try """
            FROM layered
            RUN ln -sf /data/etc/passwd /etc/passwd && ln -sf ../data/etc/group /etc/group
            COPY --chown=alice:extra f /f
            USER alice
            RUN id -u > /tmp/uid && id -G >> /tmp/uid

            """.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try run(cli, ["build", "-t", "linked", ctx], timeout: 120)
        #expect(r.status == 0, "\(r.output)")
        r = try run(cli, ["run", "--rm", "linked", "cat", "/tmp/uid"])
        #expect(r.output == "4242\n4343 4444\n", "\(r.output)")
        r = try run(cli, ["run", "--rm", "-u", "0", "linked", "stat", "-c", "%u:%g", "/f"])
        #expect(r.output == "4242:4444\n", "\(r.output)")
        r = try run(cli, ["run", "--rm", "-u", "alice", "linked", "id", "-u"])
        #expect(r.output == "4242\n", "\(r.output)")
    }
}


extension StoreSecurityTests {
    /// `argv` as user nobody; its exit status.
    func asNobody(_ argv: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"] + argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    @Test func aStoreRootOthersCouldReadIsMadePrivateOrRefused() throws {
        guard ready() else { return }
        let (dir, cli) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A root made beforehand, readable by everyone, as `mkdir` makes it.
        #expect(mkdir(cli.root, 0o755) == 0 && chmod(cli.root, 0o755) == 0)
        chmod(dir, 0o755)
        try FileManager.default.createDirectory(atPath: dir + "/rootfs/etc", withIntermediateDirectories: true)
        try "root:x:0:0::/root:/bin/sh\n".write(toFile: dir + "/rootfs/etc/passwd", atomically: true, encoding: .utf8)
        var r = try run(cli, ["ps", "-a"])
        #expect(r.status == 0, "\(r.output)")
        #expect(mode(cli.root) == 0o700, "listing containers makes the root private too")
        #expect(chmod(cli.root, 0o755) == 0)
        r = try run(cli, ["import", "-c", "ENV SECRET=hunter2", dir + "/rootfs", "secret:latest"])
        #expect(r.status == 0, "\(r.output)")
        #expect(mode(cli.root) == 0o700, "the store root is private: \(String(mode(cli.root), radix: 8))")
        #expect(try asNobody(["/bin/busybox", "ls", cli.root + "/oci/blobs/sha256"]) != 0, "others cannot list the blobs")
        #expect(try asNobody(["/bin/busybox", "cat", cli.root + "/oci/index.json"]) != 0, "others cannot read the index")
        #expect(try asNobody(["/bin/busybox", "ls", dir]) == 0, "the check above is not failing for another reason")

        // A root that others can read and that belongs to someone else is refused, saying how to fix it.
        #expect(chmod(cli.root, 0o755) == 0 && chown(cli.root, 65534, 65534) == 0)
        r = try run(cli, ["images"])
        #expect(r.status != 0, "\(r.output)")
        #expect(r.output.contains("chmod 700 \(cli.root)"), "\(r.output)")
        #expect(mode(cli.root) == 0o755)
        #expect(chown(cli.root, 0, 0) == 0)
    }
}

extension StoreSecurityTests {
    /// Children of `pid` in state Z.
    func zombieChildren(of pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }.filter { p in
            guard let stat = try? procText("/proc/\(p)/stat"),
                let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] == "Z" && fields[1] == Substring(String(pid))
        }
    }

    /// The monitors (`estiba __monitor`) process `pid` started that still run.
    func runningMonitors(of pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }.filter { p in
            guard let stat = try? procText("/proc/\(p)/stat"), let close = stat.lastIndex(of: ")"),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(p)/cmdline") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[1] == Substring(String(pid)) && String(decoding: cmdline, as: UTF8.self).contains("__monitor")
        }
    }

    @Test func detachedRunsLeaveNoZombieMonitorsUnderTheService() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        func call(_ id: Int, _ method: String, _ params: JSONValue) throws -> JSONValue {
            s.sendLine(request(id, method, params))
            while let m = try s.reader.json(timeout: 60) {
                if m["id"] == .int(Int64(id)) { return m }
            }
            throw TestTimeout(what: "a reply to \(method)")
        }
        for i in 0..<3 {
            let r = try call(i, "run", ["image": "busybox", "detach": true, "name": .string("z\(i)"), "command": ["sh", "-c", .string("exit \(i)")]])
            #expect(r["result"] != nil, "\(r)")
        }
        for i in 0..<3 {
            let r = try call(10 + i, "wait", ["container": .string("z\(i)")])
            #expect(r["result"]?["ExitCode"] == .int(Int64(i)), "\(r)")
        }
        // The monitors end soon after recording the exit (their network released first, under the host-wide
        // lock other users may hold a while): once none runs any more, none may stay a zombie. (Waiting only for
        // "no zombie" would pass at once while they still run, and then catch one in the instant before its reaping.)
        let pid = s.process.processIdentifier
        let deadline = Date().addingTimeInterval(30)
        while !(runningMonitors(of: pid) + zombieChildren(of: pid)).isEmpty, Date() < deadline { usleep(20_000) }
        #expect(runningMonitors(of: pid).isEmpty)
        #expect(zombieChildren(of: pid).isEmpty, "zombie monitors under the service: \(zombieChildren(of: pid))")
        #expect(try call(20, "rm", ["containers": ["z0", "z1", "z2"]])["result"] != nil)
    }
}

extension StoreSecurityTests {
    /// Mount points of this namespace under `path`.
    func mounts(under path: String) throws -> [String] {
        try procText("/proc/self/mountinfo").split(separator: "\n")
            .compactMap { line in line.split(separator: " ").dropFirst(4).first.map(String.init) }
            .filter { $0 == path || $0.hasPrefix(path + "/") }
    }

    func stepDirectories(_ cli: CLI) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/tmp")) ?? []).filter { $0.hasPrefix("step-") }
    }

    /// The direct children of `pid`.
    func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { t in
            ((try? procText("/proc/\(pid)/task/\(t)/children")) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
    }

    func mountCommand(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mount")
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func pruneClearsWhatAKilledBuildLeftAndSparesLiveBuilds() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let scratch = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let ctx = scratch + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)

        // A build killed (kill -9) while its RUN step runs.
        try "FROM busybox\nRUN sleep 30\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let build = Process()
        build.executableURL = URL(fileURLWithPath: Paths.estiba)
        build.arguments = ["--root", cli.root, "build", "-t", "killed", ctx]
        build.standardOutput = FileHandle.nullDevice
        build.standardError = FileHandle.nullDevice
        try build.run()
        // Each RUN step has cgroups named after its store and scratch directory.
        let stepGroups = { () -> [String] in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/pids/estiba")) ?? [])
                + ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/estiba")) ?? [])
        }
        let hasGroup = { self.stepDirectories(cli).contains { d in stepGroups().contains { $0.hasSuffix("-" + d) } } }
        var deadline = Date().addingTimeInterval(30)
        // Killed once its RUN step runs in its cgroups.
        while children(of: build.processIdentifier).isEmpty || !hasGroup(), Date() < deadline { usleep(10_000) }
        let orphans = children(of: build.processIdentifier)
        #expect(!orphans.isEmpty, "the RUN step started")
        kill(build.processIdentifier, SIGKILL)
        build.waitUntilExit()
        // The step's container outlives the killed build; end it when the test ends.
        defer { for pid in orphans { kill(pid, SIGKILL) } }
        #expect(stepDirectories(cli).count == 1)

        // A build killed while it held its root mounted (during COPY or ADD) leaves the mounts in this namespace:
        // the same state, made directly.
        let dead = cli.root + "/tmp/step-killedcopy"
        for d in ["upper", "work", "rootfs", "from-0"] {
            try FileManager.default.createDirectory(atPath: dead + "/" + d, withIntermediateDirectories: true)
        }
        #expect(FileManager.default.createFile(atPath: dead + "/lock", contents: nil))
        #expect(try mountCommand(["-t", "tmpfs", "tmpfs", dead + "/rootfs"]) == 0)
        #expect(try mountCommand(["--bind", scratch + "/rootfs", dead + "/from-0"]) == 0)
        try "kept\n".write(toFile: dead + "/rootfs/file", atomically: true, encoding: .utf8)
        #expect(try mounts(under: cli.root).count == 2)

        let stepNames = Set(stepDirectories(cli))
        let groupsBefore = stepGroups()
        // A live build's step during the prune: kept, and the build completes. (Opening the store, the live build
        // may clear the killed build's leftovers itself; the prune below must leave nothing of them either way.)
        try "FROM busybox\nRUN sleep 2 && echo built > /built\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let live = Process()
        live.executableURL = URL(fileURLWithPath: Paths.estiba)
        live.arguments = ["--root", cli.root, "build", "-t", "live", ctx]
        live.standardOutput = FileHandle.nullDevice
        live.standardError = FileHandle.nullDevice
        try live.run()
        deadline = Date().addingTimeInterval(30)
        while children(of: live.processIdentifier).isEmpty, Date() < deadline { usleep(10_000) }
        #expect(stepDirectories(cli).filter { !stepNames.contains($0) }.count == 1, "the live build's step")

        let r = try run(cli, ["system", "prune"])
        #expect(r.status == 0, "\(r.output)")
        // The killed build's step: its cgroups and its still running process are gone with its directory.
        let cleared = stepNames.subtracting(stepDirectories(cli))
        #expect(groupsBefore.contains { g in cleared.contains { g.hasSuffix("-" + $0) } }, "the killed step had cgroups: \(groupsBefore)")
        let killedGroups = stepGroups().filter { g in cleared.contains { g.hasSuffix("-" + $0) } }
        #expect(killedGroups.isEmpty, "\(killedGroups)")
        for pid in orphans {
            var state = "?"
            for _ in 0..<100 {
                let stat = (try? procText("/proc/\(pid)/stat")) ?? ""
                state = stat.split(separator: ")").last.map { String($0.dropFirst().prefix(1)) } ?? ""
                if state.isEmpty || state == "Z" { break }
                usleep(20_000)
            }
            #expect(state.isEmpty || state == "Z", "the killed build's RUN process \(pid) was ended (state \(state))")
        }
        let left = try mounts(under: cli.root)
        #expect(left.isEmpty, "no mount under the store root: \(left)")
        #expect(stepDirectories(cli).count == 1, "only the live build's step stays: \(stepDirectories(cli))")
        #expect(FileManager.default.fileExists(atPath: scratch + "/rootfs/bin/busybox"), "a bind mount's source is untouched")

        live.waitUntilExit()
        #expect(live.terminationStatus == 0)
        #expect(try run(cli, ["run", "--rm", "live", "cat", "/built"]).output == "built\n")
        #expect(stepDirectories(cli).isEmpty)
    }
}

/// Reads a pipe to its end on a thread, so a child writing much output never blocks.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let all = handle.readDataToEndOfFile()
            lock.lock()
            data = all
            lock.unlock()
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
