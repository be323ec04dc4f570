import EstibaJSON
import Foundation
import Glibc
import Testing

/// What a hostile image or container must not reach: host devices, the engine's own binary and descriptors, the
/// caller's keyring, and the system calls Docker's default profile denies.
@Suite(.serialized) struct SecurityTests {
    typealias CLI = RuntimeTests.CLI

    /// The isolation probe (Tests/probes/probe.c), built by the test with gcc.
    static var probeSource: String { Paths.repo.appendingPathComponent("Tests/probes/probe.c").path }

    /// The probe's report as a dictionary ("seccomp" → "2", "add_key" → "EPERM"…).
    static func report(_ output: String) -> [String: String] {
        var r: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { r[parts[0]] = parts[1] }
        }
        return r
    }

    static func shell(_ command: String) throws -> (status: Int32, output: String) {
        try runProgram("/bin/sh", ["-c", command])
    }

    /// A store with `hostile:latest`: busybox, the probe (also as a setuid-root copy), `/x` (a script whose
    /// interpreter is `/proc/self/exe`) and, when given, a block device node readable by everyone.
    func hostileStore(blockDevice: (major: UInt32, minor: UInt32)? = nil) throws -> (cli: CLI, probe: String)? {
        guard let cli = try RuntimeTests().busyboxStore() else { return nil }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        let rootfs = base + "/rootfs"
        let cc = try Self.shell("gcc -static -O1 -o \(rootfs)/probe \(Self.probeSource)")
        try #require(cc.status == 0, "gcc: \(cc.output)")
        #expect(copyfile(rootfs + "/probe", rootfs + "/probe-suid"))
        chmod(rootfs + "/probe-suid", 0o4755)
        try "#!/proc/self/exe\n".write(toFile: rootfs + "/x", atomically: true, encoding: .utf8)
        chmod(rootfs + "/x", 0o755)
        if let b = blockDevice {
            try FileManager.default.createDirectory(atPath: rootfs + "/devs", withIntermediateDirectories: true)
            #expect(mknod(rootfs + "/devs/disk", S_IFBLK | 0o666, dev_t(b.major) << 8 | dev_t(b.minor)) == 0)
            chmod(rootfs + "/devs/disk", 0o666)
        }
        let imported = try cli.run(["import", "-c", "CMD [\"sh\"]", "-c", "ENV PATH=/bin", rootfs, "hostile:latest"])
        try #require(imported.status == 0, "\(imported.output)")
        return (cli, rootfs + "/probe")
    }

    func copyfile(_ from: String, _ to: String) -> Bool {
        (try? FileManager.default.copyItem(atPath: from, toPath: to)) != nil
    }

    /// A loop device over a small file holding known bytes; detached by the caller.
    func attachLoopDevice(in dir: String) throws -> (path: String, major: UInt32, minor: UInt32) {
        let file = dir + "/disk.img"
        try Data(repeating: 0x41, count: 1 << 20).write(to: URL(fileURLWithPath: file))
        let r = try Self.shell("losetup -f --show \(file)")
        try #require(r.status == 0, "losetup: \(r.output)")
        let path = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        var st = stat()
        try #require(stat(path, &st) == 0)
        let major = UInt32(truncatingIfNeeded: ((st.st_rdev >> 8) & 0xfff) | ((st.st_rdev >> 32) & ~0xfff))
        let minor = UInt32(truncatingIfNeeded: (st.st_rdev & 0xff) | ((st.st_rdev >> 12) & ~0xff))
        return (path, major, minor)
    }

    @Test func hostDevicesAreOutOfReachUnlessGiven() throws {
        guard geteuid() == 0 else { return }
        let scratch = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let loop = try attachLoopDevice(in: scratch)
        defer { _ = try? Self.shell("losetup -d \(loop.path)") }
        guard let (cli, _) = try hostileStore(blockDevice: (loop.major, loop.minor)) else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }

        // Made in the container, shipped in the image (even for a non-root user), or the host's /dev/kmsg: each
        // enforcement alone (the v1 devices controller by default here, the BPF device program of cgroup v2 hosts)
        // and both together refuse them.
        let script = """
            mknod /tmp/b b \(loop.major) \(loop.minor) && head -c 4 /tmp/b; echo " made=$?"
            mknod /tmp/k c 1 11 && echo hi > /tmp/k; echo " kmsg=$?"
            echo hi > /dev/null && echo " null=0"
            """
        for mode in ["", "bpf", "both"] {
            let text = try cli.run(["run", "--rm", "hostile", "sh", "-c", script], environment: ["ESTIBA_DEVICE_CGROUP": mode]).output
            #expect(!text.contains("AAAA"), "mode \(mode): \(text)")
            #expect(text.contains("head: /tmp/b: Operation not permitted"), "mode \(mode): \(text)")
            #expect(text.contains("can't create /tmp/k: Operation not permitted"), "mode \(mode): \(text)")
            #expect(text.contains(" null=0"), "mode \(mode): \(text)")
        }
        let shipped = try cli.run(["run", "--rm", "-u", "1000", "hostile", "sh", "-c", "head -c 4 /devs/disk"])
        #expect(!shipped.output.contains("AAAA") && shipped.output.contains("Operation not permitted"), "\(shipped.output)")

        // --device gives exactly that device, with the access asked for.
        let given = try cli.run(["run", "--rm", "--device", loop.path + ":/dev/xvdc", "hostile", "sh", "-c", "head -c 4 /dev/xvdc"])
        #expect(given.status == 0 && given.output == "AAAA", "\(given.output)")
        let readOnly = try cli.run([
            "run", "--rm", "--device", loop.path + ":/dev/xvdc:r", "hostile", "sh", "-c", "head -c 4 /dev/xvdc; echo B > /dev/xvdc",
        ])
        #expect(readOnly.output.hasPrefix("AAAA") && readOnly.output.contains("Operation not permitted"), "\(readOnly.output)")
        let notADevice = try cli.run(["run", "--rm", "--device", "/etc/passwd", "hostile", "true"])
        #expect(notADevice.status == 125 && notADevice.output.contains("is not a device node"), "\(notADevice.output)")

        // A build's RUN step is held to the same list.
        let context = scratch + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "FROM hostile\nRUN mknod /b b \(loop.major) \(loop.minor) && head -c 4 /b\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let build = try cli.run(["build", "-t", "devs", context])
        #expect(build.status != 0 && build.output.contains("Operation not permitted") && !build.output.contains("AAAA"), "\(build.output)")
    }

    @Test func containersNeverRunTheEnginesBinary() throws {
        guard let (cli, _) = try hostileStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        // A command whose interpreter is /proc/self/exe reaches estiba-entry, which refuses, never `estiba`.
        let run = try cli.run(["run", "--rm", "hostile", "/x"])
        #expect(run.status == 126, "\(run.output)")
        #expect(run.output.contains("estiba-entry: this program only starts container processes"), "\(run.output)")
        #expect(!run.output.contains("USAGE") && !run.output.contains("Usage: estiba"), "\(run.output)")
        let direct = try cli.run(["run", "--rm", "hostile", "/proc/self/exe", "--help"])
        #expect(direct.status == 126 && !direct.output.contains("USAGE"), "\(direct.output)")

        let started = try cli.run(["run", "-d", "--name", "target", "hostile", "sleep", "60"])
        #expect(started.status == 0, "\(started.output)")
        defer { _ = try? cli.run(["rm", "-f", "target"]) }
        let exec = try cli.run(["exec", "target", "/x"])
        #expect(exec.status == 126 && exec.output.contains("estiba-entry:") && !exec.output.contains("USAGE"), "\(exec.output)")
        // The joined process holds nothing of the engine's: only its standard descriptors (3 is ls's own).
        let fds = try cli.run(["exec", "target", "ls", "/proc/self/fd"])
        let listed = Set(fds.output.split(whereSeparator: \.isWhitespace).map(String.init))
        #expect(listed.isSubset(of: ["0", "1", "2", "3"]), "\(fds.output)")
    }

    /// The estiba-entry bytes the runtime embeds are what its assembly source makes.
    @Test func theEntryProgramIsItsSource() throws {
        let script = Paths.repo.appendingPathComponent("Sources/Runtime/EntryProgram/generate.sh").path
        let generated = try runProgram("/bin/bash", [script])
        try #require(generated.status == 0, "\(generated.output)")
        let committed = try String(contentsOfFile: Paths.repo.appendingPathComponent("Sources/Runtime/EntryImages.swift").path, encoding: .utf8)
        #expect(generated.output == committed)
    }

    /// A container that stops every new process the moment it appears (seccomp off, so only the joining
    /// process's own protection counts) never finds the engine in one: no executable of the engine's, and nothing
    /// to take with pidfd_getfd but a process's own standard descriptors.
    /// Docker's exit codes for run: 127 for a command the image lacks, 126 for one it cannot execute, 125 when the
    /// engine fails; over JSON-RPC a launch failure is an engine error, not invalid params.
    @Test func runExitCodesFollowDocker() throws {
        guard let (cli, _) = try hostileStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let missing = try cli.run(["run", "--rm", "hostile", "no-such-command"])
        #expect(missing.status == 127 && missing.output.contains("Cannot run no-such-command"), "\(missing.output)")
        let notExecutable = try cli.run(["run", "--rm", "hostile", "/etc/passwd"])
        #expect(notExecutable.status == 126, "\(notExecutable.output)")
        let noImage = try cli.run(["run", "--rm", "no-such-image", "true"])
        #expect(noImage.status == 125, "\(noImage.output)")
        #expect(try cli.run(["run", "--rm", "hostile", "sh", "-c", "exit 3"]).status == 3)

        let service = try SocketService(path: URL(fileURLWithPath: cli.root).deletingLastPathComponent().appendingPathComponent("rpc.sock").path, root: cli.root)
        let client = try service.client()
        client.sendLine(request(1, "run", ["image": "hostile", "command": ["no-such-command"], "rm": true]))
        var reply: JSONValue?
        while let message = try client.reader.json(timeout: 30) {
            if message["id"] == 1 { reply = message; break }
        }
        #expect(reply?["error"]?["code"] == -32000, "\(String(describing: reply))")
    }

    @Test func aProcessJoiningAContainerCannotBeRobbed() throws {
        guard let (cli, _) = try hostileStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let watcher = try cli.run(["run", "-d", "--name", "watcher", "--security-opt", "seccomp=unconfined", "hostile", "/probe", "watch", "30"])
        try #require(watcher.status == 0, "\(watcher.output)")
        defer { _ = try? cli.run(["rm", "-f", "watcher"]) }
        usleep(300_000)
        for _ in 0..<120 { _ = try cli.run(["exec", "watcher", "true"]) }
        let caught = try cli.run(["logs", "watcher"]).output.split(separator: "\n").filter { $0.hasPrefix("caught ") }
        #expect(caught.count > 0, "the watcher saw no process")
        for line in caught {
            let fields = Self.report(line.split(separator: " ").dropFirst(2).joined(separator: "\n"))
            let exe = fields["exe"] ?? ""
            #expect(!exe.hasSuffix("/estiba"), "\(line)")
            #expect((Int(fields["stolen"] ?? "0") ?? 0) <= 3, "\(line)")
        }
    }

    @Test func seccompKeyringsAndNoNewPrivilegesFollowDocker() throws {
        guard let (cli, probe) = try hostileStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }

        // Default: Docker's profile (EPERM for keyrings, user namespaces, perf, pidfd_getfd, setns, ptrace).
        let r = Self.report(try cli.run(["run", "--rm", "hostile", "/probe"]).output)
        #expect(r["seccomp"] == "2" && r["nnp"] == "0", "\(r)")
        for call in ["find-key", "keyctl", "add_key", "unshare-user", "perf_event_open", "pidfd_getfd", "setns", "ptrace"] {
            #expect(r[call] == "EPERM", "\(call): \(r)")
        }
        // Compiled filters are kept in /run/estiba/seccomp for the next process; a damaged one is never used.
        let cacheDir = "/run/estiba/seccomp"
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []
        #expect(cached.contains { $0.hasSuffix(".bpf") }, "\(cached)")
        for name in cached where name.hasSuffix(".bpf") {
            try Data("estiba-seccomp 1\ngarbage".utf8).write(to: URL(fileURLWithPath: cacheDir + "/" + name))
        }
        let again = Self.report(try cli.run(["run", "--rm", "hostile", "/probe"]).output)
        #expect(again["seccomp"] == "2" && again["add_key"] == "EPERM" && again["ptrace"] == "EPERM", "\(again)")
        // Unconfined, the container still has a session keyring of its own: the caller's key is not in it.
        let hostKey = try Self.shell("\(probe) host-key \(Paths.estiba) --root \(cli.root) run --rm --security-opt seccomp=unconfined hostile /probe")
        let u = Self.report(hostKey.output)
        #expect(u["seccomp"] == "0" && u["keyctl"] == "ok" && u["find-key"] == "ENOKEY", "\(hostKey.output)")

        // exec gets the container's filter.
        #expect(try cli.run(["run", "-d", "--name", "filtered", "hostile", "sleep", "60"]).status == 0)
        defer { _ = try? cli.run(["rm", "-f", "filtered"]) }
        let e = Self.report(try cli.run(["exec", "filtered", "/probe"]).output)
        #expect(e["seccomp"] == "2" && e["add_key"] == "EPERM", "\(e)")
        #expect(try cli.run(["run", "-d", "--name", "open", "--security-opt", "seccomp=unconfined", "hostile", "sleep", "60"]).status == 0)
        defer { _ = try? cli.run(["rm", "-f", "open"]) }
        let o = Self.report(try cli.run(["exec", "open", "/probe"]).output)
        #expect(o["seccomp"] == "0" && o["find-key"] == "ENOKEY", "\(o)")

        // A profile in Docker's format.
        let profile = base + "/no-mkdir.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let custom = try cli.run(["run", "--rm", "--security-opt", "seccomp=" + profile, "hostile", "sh", "-c", "mkdir /tmp/d; grep Seccomp: /proc/self/status"])
        #expect(custom.output.contains("Permission denied") && custom.output.contains("Seccomp:\t2"), "\(custom.output)")
        // Profiles written before execveat existed deny it: containers still start.
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let old = try cli.run(["run", "--rm", "--security-opt", "seccomp=" + profile, "hostile", "echo", "started"])
        #expect(old.status == 0 && old.output == "started\n", "\(old.output)")
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let bad = try cli.run(["run", "--rm", "--security-opt", "seccomp=" + profile, "hostile", "true"])
        #expect(bad.status != 0 && bad.output.contains("is not valid: syscalls[0].action"), "\(bad.output)")

        // setuid programs work as under Docker, unless no-new-privileges is asked for.
        let suid = try cli.run(["run", "--rm", "-u", "1000", "hostile", "/probe-suid", "id"])
        #expect(suid.output.contains("uid=1000 euid=0"), "\(suid.output)")
        let nnp = try cli.run(["run", "--rm", "-u", "1000", "--security-opt", "no-new-privileges", "hostile", "sh", "-c", "/probe-suid id; grep NoNewPrivs /proc/self/status"])
        #expect(nnp.output.contains("uid=1000 euid=1000") && nnp.output.contains("NoNewPrivs:\t1"), "\(nnp.output)")

        // RUN steps run under the default profile too.
        let context = base + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "FROM hostile\nRUN /probe > /report\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(try cli.run(["build", "-t", "probed", context]).status == 0)
        let step = Self.report(try cli.run(["run", "--rm", "--security-opt", "seccomp=unconfined", "probed", "cat", "/report"]).output)
        #expect(step["seccomp"] == "2" && step["unshare-user"] == "EPERM", "\(step)")
    }
}
