import EstibaJSON
import Foundation
import Glibc
import Testing

/// Containers for real (root, namespaces, overlayfs): the seed's run → change → commit → rm → run, and isolation.
@Suite(.serialized) struct RuntimeTests {
    struct CLI {
        let root: String

        @discardableResult
        func run(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
            try runProgram(Paths.estiba, ["--root", root] + args, environment: environment)
        }
    }

    /// A store with a busybox image made from Debian's busybox-static; nil when that is not installed (outside CI).
    func busyboxStore() throws -> CLI? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("runtime tests need root and busybox-static") }
            return nil
        }
        let root = try Paths.temporaryDirectory().path
        let rootfs = root + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        let list = Process()
        list.executableURL = URL(fileURLWithPath: "/bin/busybox")
        list.arguments = ["--list"]
        let out = Pipe()
        list.standardOutput = out
        try list.run()
        let applets = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        list.waitUntilExit()
        for a in applets where a != "busybox" { symlink("busybox", rootfs + "/bin/" + a) }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        let cli = CLI(root: root + "/store")
        let imported = try cli.run(["import", "-c", "CMD [\"sh\"]", "-c", "ENV PATH=/usr/local/bin:/bin", rootfs, "busybox:latest"])
        #expect(imported.status == 0, "\(imported.output)")
        return cli
    }

    @Test func stopAndWaitReturnAtOnceForACreatedContainer() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        #expect(try cli.run(["create", "--name", "cc", "busybox", "sleep", "10"]).status == 0)
        // Under a deadline: a stop or wait that never returns fails here instead of holding up the suite.
        func bounded(_ args: [String]) throws -> (status: Int32, output: String) {
            try runProgram("/usr/bin/timeout", ["60", Paths.estiba, "--root", cli.root] + args)
        }
        let stopped = try bounded(["stop", "-t", "1", "cc"])
        #expect(stopped.status == 0 && stopped.output == "cc\n", "\(stopped)")
        let waited = try bounded(["wait", "cc"])
        #expect(waited.status == 0 && waited.output == "0\n", "\(waited)")
        let listed = try cli.run(["ps", "-a"]).output.split(separator: "\n").filter { $0.hasSuffix(" cc") }
        #expect(listed.count == 1 && listed[0].contains("Created"), "\(listed)")
        #expect(try cli.run(["rm", "cc"]).status == 0)
    }

    @Test func theSeedScenarioRunCommitRemoveRunAgain() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        // "segunda-prueba": add a program to the container.
        var r = try cli.run(["run", "--name", "segunda-prueba", "busybox", "sh", "-c",
            "mkdir -p /usr/local/bin && printf '#!/bin/sh\\necho figlet-like banner\\n' > /usr/local/bin/banner && chmod +x /usr/local/bin/banner && rm /bin/vi"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["ps", "-a"])
        #expect(r.output.contains("segunda-prueba") && r.output.contains("Exited (0)"))
        #expect(try cli.run(["inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "segunda-prueba"]).output == "/segunda-prueba exited 0\n")
        #expect(try cli.run(["images", "--format", "json"]).output.contains("\"Containers\":1"))
        r = try cli.run(["commit", "-m", "add banner", "segunda-prueba", "ambiente-produccion"])
        #expect(r.status == 0 && r.output.hasPrefix("sha256:"), "\(r.output)")
        let id = String(r.output.dropFirst(7).prefix(12))
        r = try cli.run(["images"])
        #expect(r.output.contains("ambiente-produccion   latest    \(id)"), "\(r.output)")
        // The base image is in use by the container: rmi refuses.
        r = try cli.run(["rmi", "busybox"])
        #expect(r.status == 1 && r.output.contains("used by container segunda-prueba"))
        r = try cli.run(["rm", "segunda-prueba"])
        #expect(r.status == 0)
        // "tercera-prueba": the program is there, the deleted file stays deleted.
        r = try cli.run(["run", "--rm", "--name", "tercera-prueba", "ambiente-produccion", "sh", "-c", "banner; test -e /bin/vi || echo vi-gone"])
        #expect(r.status == 0)
        #expect(r.output == "figlet-like banner\nvi-gone\n", "\(r.output)")
        r = try cli.run(["history", "ambiente-produccion"])
        #expect(r.output.contains("add banner"))
        #expect(try cli.run(["ps", "-aq"]).output.isEmpty)
    }

    @Test func containersAreIsolated() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        func inside(_ script: String, _ extra: [String] = []) throws -> (status: Int32, output: String) {
            try cli.run(["run", "--rm"] + extra + ["busybox", "sh", "-c", script])
        }
        #expect(try inside("echo $$").output == "1\n")
        // Only the container's processes: a handful of small pids, and not the host's (this test's own pid).
        let maxPid = try inside("ls /proc | grep '^[0-9]' | sort -n | tail -n 1").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(maxPid) ?? 99) <= 6, "\(maxPid)")
        #expect(try inside("test -e /proc/\(getpid()) && echo visible || echo hidden").output == "hidden\n")
        #expect(try inside("hostname", ["--hostname", "web"]).output == "web\n")
        #expect(try inside("test -e /work || test -e /root/.pyenv || echo no-host-files").output == "no-host-files\n")
        #expect(try inside("mount -t tmpfs x /tmp 2>/dev/null && echo mounted || echo refused").output == "refused\n")
        #expect(try inside("(echo x > /proc/sys/kernel/hostname) 2>/dev/null && echo wrote || echo refused").output == "refused\n")
        #expect(try inside("(echo 1 > /sys/kernel/profiling) 2>/dev/null && echo wrote || echo refused").output == "refused\n")
        #expect(try inside("wc -c < /proc/keys").output.trimmingCharacters(in: .whitespaces) == "0\n")
        #expect(try inside("(insmod /x.ko || modprobe dummy) 2>/dev/null && echo loaded || echo refused").output == "refused\n")
        #expect(try inside("grep CapEff /proc/self/status").output.contains("00000000a80425fb"))
        // As with Docker: no_new_privs off (setuid programs work), Docker's seccomp profile on.
        #expect(try inside("grep NoNewPrivs /proc/self/status").output == "NoNewPrivs:\t0\n")
        #expect(try inside("grep Seccomp: /proc/self/status").output == "Seccomp:\t2\n")
        #expect(try inside("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '", ["--network", "none"]).output == "lo\n")
        #expect(try inside("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort").output == "eth0\nlo\n")
        #expect(try inside("id -u", ["--user", "nobody"]).output == "65534\n")
        #expect(try inside("grep CapEff /proc/self/status", ["--user", "nobody"]).output.contains("0000000000000000"))
        #expect(try inside("exit 7").status == 7)
        // Another container's files are out of sight.
        _ = try cli.run(["run", "-d", "--name", "neighbour", "busybox", "sh", "-c", "echo s > /secret-of-neighbour; sleep 30"])
        usleep(300_000)
        #expect(try inside("find / -xdev -name 'secret-of-*' 2>/dev/null | wc -l").output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        _ = try cli.run(["rm", "-f", "neighbour"])
        let missing = try cli.run(["run", "--rm", "busybox", "no-such-command"])
        #expect(missing.status != 0 && missing.output.contains("no-such-command"))
        for bad in ["../escape", "a/b", "_x", "x"] {
            let r = try cli.run(["run", "--rm", "--name", bad, "busybox", "true"])
            #expect(r.status != 0 && r.output.contains("Invalid container name"), "\(bad)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.root + "/escape"))
        _ = try cli.run(["run", "--name", "taken", "busybox", "true"])
        let clash = try cli.run(["run", "--name", "taken", "busybox", "true"])
        #expect(clash.status != 0 && clash.output.contains("already used"))
        _ = try cli.run(["rm", "taken"])
        #expect(try cli.run(["run", "--rm", "--name", "taken", "busybox", "true"]).status == 0)
        let badUser = try cli.run(["run", "--rm", "--user", "ghost", "busybox", "true"])
        #expect(badUser.status != 0 && badUser.output.contains("Unable to find user ghost"))
    }

    @Test func interactiveTerminalSession() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        // A person at a terminal: a pty drives `estiba run -it`, types commands and reads the screen.
        let screen = try Pty.session(
            [Paths.estiba, "--root", cli.root, "run", "-it", "--rm", "--name", "interactiva", "busybox", "sh"], startup: 2.0,
            steps: [
                .init(text: "tty; echo $((6*7))\r", read: 1.5), .init(text: "sleep 30\r", read: 0), .init(text: "\u{03}", pause: 0.5, read: 1.5),
                .init(text: "echo still-here; exit 5\r", read: 1.5),
            ])
        #expect(screen.contains("/dev/pts/0"), "\(screen)")
        #expect(screen.contains("\r\n42\r\n"), "\(screen)")
        #expect(screen.contains("^C"), "\(screen)")
        #expect(screen.contains("still-here"), "\(screen)")
        #expect(screen.hasSuffix("EXIT=5\n"), "\(screen)")
    }

    @Test func runcRunsTheSameBundleWithTheSameResults() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc") || FileManager.default.isExecutableFile(atPath: "/usr/bin/runc") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("runc is not installed") }
            return
        }
        mkdir("/run/estiba", 0o700)
        mkdir("/run/estiba/runc", 0o700)
        let probes: [([String], String)] = [
            ([], "hostname; id; grep -E 'CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp:' /proc/self/status"),
            (["--user", "nobody", "--hostname", "probe"], "hostname; id; grep -E 'CapEff|CapBnd' /proc/self/status"),
            ([], "ls -a /dev | tr '\\n' ' '; ls /; echo $$; env | sort"),
            ([], "cut -d' ' -f2,3,4 /proc/mounts | sort | tail -n +2"),
            ([], "wc -l < /proc/net/dev; (echo x > /proc/sys/kernel/hostname) 2>&1; (mount -t tmpfs t /mnt) 2>&1; exit 9"),
            (["-w", "/tmp", "-e", "A=b"], "pwd; echo $A; touch /made && ls /made"),
        ]
        for (options, script) in probes {
            let ours = try cli.run(["run", "--rm"] + options + ["--hostname", options.contains("--hostname") ? "probe" : "same", "busybox", "sh", "-c", script])
            let theirs = try cli.run(["run", "--rm", "--runtime", "runc"] + options + ["--hostname", options.contains("--hostname") ? "probe" : "same", "busybox", "sh", "-c", script])
            #expect(ours.status == theirs.status, "\(script)")
            #expect(ours.output == theirs.output, "\(script)\n--- estiba\n\(ours.output)--- runc\n\(theirs.output)")
        }
    }

    @Test func volumesBindMountsAndNamedVolumesStayInsideTheRoot() throws {
        guard let cli = try busyboxStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/host", withIntermediateDirectories: true)
        try "from the host\n".write(toFile: base + "/host/h.txt", atomically: true, encoding: .utf8)
        // A read-only bind mount and a named volume that outlives its container.
        var r = try cli.run(["run", "--rm", "--name", "v1", "-v", base + "/host:/mnt/host:ro", "-v", "data:/data", "busybox", "sh", "-c",
            "cat /mnt/host/h.txt; touch /mnt/host/new 2>/dev/null || echo read-only; echo kept > /data/k"])
        #expect(r.output == "from the host\nread-only\n", "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: base + "/host/new"))
        r = try cli.run(["run", "--rm", "-v", "data:/elsewhere", "busybox", "cat", "/elsewhere/k"])
        #expect(r.output == "kept\n", "\(r.output)")
        // A writable bind mount writes through to the host; inspect lists the mounts.
        r = try cli.run(["run", "--name", "v2", "-v", base + "/host:/work", "busybox", "sh", "-c", "echo written > /work/out"])
        #expect(try String(contentsOfFile: base + "/host/out", encoding: .utf8) == "written\n")
        r = try cli.run(["inspect", "-f", "{{json .Mounts}}", "v2"])
        #expect(r.output.contains("\"Destination\":\"/work\"") && r.output.contains("\"RW\":true"), "\(r.output)")
        _ = try cli.run(["rm", "v2"])
        // A link in the image cannot lead a mount target out of the container's root.
        let evil = base + "/evil-rootfs"
        try FileManager.default.createDirectory(atPath: evil + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: evil + "/bin/busybox")
        symlink("busybox", evil + "/bin/sh")
        symlink(base + "/outside", evil + "/escape")
        _ = try cli.run(["import", evil, "evil:1"])
        r = try cli.run(["run", "--rm", "-v", base + "/host:/escape/inside", "evil:1", "/bin/sh", "-c", "true"])
        #expect(!FileManager.default.fileExists(atPath: base + "/outside"), "nothing created outside the root: \(r.output)")
        // A new named volume starts with the image's files at its path (and keeps what containers write).
        r = try cli.run(["run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "head -n 1 /etc/passwd; echo added > /etc/added"])
        #expect(r.output == "root:x:0:0:root:/root:/bin/sh\n", "\(r.output)")
        #expect(try cli.run(["run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/added"]).output == "added\n")
        // An image's VOLUME gets an anonymous volume filled from the image, removed with the container.
        let ctx = base + "/volctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "FROM busybox\nRUN mkdir -p /db && echo seeded > /db/data && chown -R nobody /db\nVOLUME /db\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(try cli.run(["build", "-t", "volimg:1", ctx]).status == 0)
        let volumesBefore = (try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/volumes").count) ?? 0
        r = try cli.run(["run", "--name", "vi", "volimg:1", "sh", "-c", "cat /db/data; stat -c %U /db/data; mount | grep -c ' /db '"])
        #expect(r.output == "seeded\nnobody\n1\n", "\(r.output)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/volumes").count) == volumesBefore + 1)
        _ = try cli.run(["rm", "vi"])
        #expect((try? FileManager.default.contentsOfDirectory(atPath: cli.root + "/volumes").count) == volumesBefore)
        // volume ls / create / inspect / rm, in the CLI and over JSON-RPC.
        r = try cli.run(["volume", "ls", "-q"])
        #expect(r.output.contains("data\n") && r.output.contains("etcvol\n"), "\(r.output)")
        #expect(try cli.run(["volume", "create", "fresh"]).output == "fresh\n")
        _ = try cli.run(["create", "--name", "holder", "-v", "fresh:/f", "busybox", "true"])
        r = try cli.run(["volume", "rm", "fresh"])
        #expect(r.status != 0 && r.output.contains("in use by container holder"), "\(r.output)")
        r = try cli.run(["volume", "inspect", "fresh"])
        #expect(r.output.contains("\"UsedBy\": [\n") && r.output.contains("holder"), "\(r.output)")
        _ = try cli.run(["rm", "holder"])
        #expect(try cli.run(["volume", "rm", "fresh"]).output == "fresh\n")
        #expect(try cli.run(["volume", "rm", "fresh"]).status != 0)
        let service = try StdioService(root: cli.root)
        defer { _ = try? service.terminate() }
        service.sendLine(request(1, "volumeCreate", ["name": "viarpc"]))
        #expect(try service.reader.json(timeout: 30)?["result"]?["Name"] == "viarpc")
        service.sendLine(request(2, "volumes"))
        let listed = try #require(try service.reader.json(timeout: 30)?["result"]?["volumes"]?.arrayValue)
        #expect(listed.contains { $0["Name"] == "viarpc" && $0["Driver"] == "local" })
        service.sendLine(request(3, "volumeRemove", ["names": ["viarpc"]]))
        #expect(try service.reader.json(timeout: 30)?["result"]?["removed"] == ["viarpc"])
        // Bad specs are clear errors, and leave nothing behind.
        r = try cli.run(["run", "-v", "data:/x:zz", "busybox", "true"])
        #expect(r.status != 0 && r.output.contains("Invalid volume mode \"zz\""), "\(r.output)")
        r = try cli.run(["run", "-v", "data:relative", "busybox", "true"])
        #expect(r.status != 0 && r.output.contains("absolute path"), "\(r.output)")
        #expect(try cli.run(["ps", "-aq"]).output.isEmpty)
    }

    @Test func resourceLimitsContainAForkBombAndMemoryHogs() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let v1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs")
        func cgroupFile(_ id: String, _ controller: String, _ file: String) -> String {
            let path = v1 ? "/sys/fs/cgroup/\(controller)/estiba/\(id)/\(file)" : "/sys/fs/cgroup/estiba/\(id)/\(file)"
            return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // A fork bomb under a pids limit stays at the limit; the machine and other containers carry on.
        var r = try cli.run(["run", "-d", "--name", "bomb", "--pids-limit", "20", "busybox", "sh", "-c", "b() { b | b & }; b; sleep 60"])
        #expect(r.status == 0, "\(r.output)")
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "bomb"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        usleep(1_500_000)
        let current = Int(cgroupFile(id, "pids", v1 ? "pids.current" : "pids.current")) ?? -1
        #expect(current > 0 && current <= 20, "pids in the container: \(current)")
        #expect(try cli.run(["run", "--rm", "busybox", "echo", "fine"]).output == "fine\n")
        #expect(try cli.run(["rm", "-f", "bomb"]).status == 0)
        usleep(300_000)
        let gone = v1 ? "/sys/fs/cgroup/pids/estiba/\(id)" : "/sys/fs/cgroup/estiba/\(id)"
        #expect(!FileManager.default.fileExists(atPath: gone), "the container's cgroup is removed with it")
        // A memory hog is killed at its limit (exit 137), like Docker's OOM kill.
        r = try cli.run(["run", "--rm", "-m", "16m", "busybox", "sh", "-c", "x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo ${#x}"])
        #expect(r.status == 137, "\(r.status) \(r.output)")
        // CPU and memory limits are what the host's cgroups say.
        r = try cli.run(["run", "-d", "--name", "limited", "--cpus", "0.5", "-m", "32m", "busybox", "sleep", "30"])
        let lid = try cli.run(["inspect", "-f", "{{.Id}}", "limited"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        if v1 {
            #expect(cgroupFile(lid, "cpu", "cpu.cfs_quota_us") == "50000")
            #expect(cgroupFile(lid, "memory", "memory.limit_in_bytes") == "33554432")
        } else {
            #expect(cgroupFile(lid, "cpu", "cpu.max") == "50000 100000")
            #expect(cgroupFile(lid, "memory", "memory.max") == "33554432")
        }
        // Committing it while it runs pauses it for the commit and lets it go on.
        r = try cli.run(["commit", "limited", "limited:snap"])
        #expect(r.status == 0 && r.output.hasPrefix("sha256:"), "\(r.output)")
        #expect(try cli.run(["ps", "-q"]).output.contains(String(lid.prefix(12))), "still running after the commit")
        #expect(try cli.run(["rm", "-f", "limited"]).status == 0)
        r = try cli.run(["run", "-m", "lots", "busybox", "true"])
        #expect(r.status != 0 && r.output.contains("Invalid --memory"), "\(r.output)")
    }

    @Test func aThousandRunRemoveCyclesThroughTheServiceLeakNothing() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        let pid = s.process.processIdentifier
        func openFDs() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
        func children() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }.filter { p in
                guard let stat = try? procText("/proc/\(p)/stat"),
                    let close = stat.lastIndex(of: ")") else { return false }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return fields.count > 2 && fields[1] == Substring(String(pid))
            }
        }
        // Warm up (threads, caches), then measure.
        for i in 0..<5 {
            s.sendLine(request(i, "run", ["image": "busybox", "command": ["true"], "rm": true]))
            while let m = try s.reader.json(timeout: 60), m["id"] != .int(Int64(i)) || m["method"] != nil {}
        }
        let fdsBefore = openFDs()
        var failures = 0
        var ids: Set<String> = []
        for i in 0..<1000 {
            s.sendLine(request(100 + i, "run", ["image": "busybox", "command": ["true"], "rm": true]))
            while let m = try s.reader.json(timeout: 60) {
                if m["method"] == "container/started", let id = m["params"]?["container"]?.stringValue { ids.insert(id) }
                if m["method"] != nil { continue }
                if m["result"]?["ExitCode"] != .int(0) { failures += 1 }
                break
            }
        }
        #expect(failures == 0)
        usleep(200_000)
        #expect(openFDs() == fdsBefore, "the service's descriptors: \(fdsBefore) before, \(openFDs()) after")
        #expect(children().isEmpty, "no processes left behind: \(children())")
        let mounts = try procText("/proc/self/mountinfo").split(separator: "\n").filter { $0.contains(cli.root) }
        #expect(mounts.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.root + "/containers").filter { $0 != ".names" }.isEmpty)
        let cgroupParent = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs") ? "/sys/fs/cgroup/pids/estiba" : "/sys/fs/cgroup/estiba"
        #expect(ids.count == 1000)
        let leftoverGroups = ((try? FileManager.default.contentsOfDirectory(atPath: cgroupParent)) ?? []).filter { ids.contains($0) }
        #expect(leftoverGroups.isEmpty, "\(leftoverGroups.count) cgroups left")
    }

    @Test func runAndRemoveLeaveNothingBehind() throws {
        guard let cli = try busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        // Only this store's mounts count: other suites (builds, dockerd) mount and unmount meanwhile.
        func storeMounts() throws -> Int {
            try procText("/proc/self/mountinfo").split(separator: "\n").filter { $0.contains(cli.root) }.count
        }
        let mountsBefore = try storeMounts()
        for i in 0..<25 {
            let r = try cli.run(["run", "--rm", "busybox", "sh", "-c", "echo \(i) > /tmp/x"])
            #expect(r.status == 0)
        }
        _ = try cli.run(["run", "--name", "kept", "busybox", "true"])
        #expect(try cli.run(["rm", "kept"]).status == 0)
        let mountsAfter = try storeMounts()
        #expect(mountsAfter == mountsBefore && mountsAfter == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.root + "/containers") == [".names"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.root + "/containers/.names").isEmpty)
    }
}

/// The container methods over JSON-RPC.
@Suite(.serialized) struct ContainerServiceTests {
    @Test func runStreamsOutputThenCommitPsRm() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("needs root and busybox-static") }
            return
        }
        let rootfs = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: rootfs) }
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for a in ["sh", "echo", "cat", "ls"] { symlink("busybox", rootfs + "/bin/" + a) }
        let data = try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))
        let doc = try JSONValue.parse(Array(data))
        let validator = SchemaValidator(document: doc)
        func schema(_ m: String) -> JSONValue { doc["methods"]?.arrayValue?.first { $0["name"]?.stringValue == m }?["result"]?["schema"] ?? .null }

        let s = try StdioService()
        s.sendLine(request(1, "import", ["source": .string(rootfs), "reference": "bb"]))
        #expect(try s.reader.json(timeout: 60)?["result"] != nil)
        s.sendLine(request(2, "run", ["image": "bb", "name": "job", "command": ["sh", "-c", "echo out; echo err >&2; echo made > /made; exit 4"]]))
        var chunks: [String: String] = [:]
        var result: JSONValue?
        while result == nil {
            let m = try #require(try s.reader.json(timeout: 60))
            if m["method"] == "container/output" {
                let outputSchema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "container/output" }?["params"] ?? .null
                let problems = validator.validate(m["params"] ?? .null, outputSchema)
                #expect(problems.isEmpty)
                let stream = m["params"]?["stream"]?.stringValue ?? "?"
                let bytes = Data(base64Encoded: m["params"]?["data"]?.stringValue ?? "") ?? Data()
                chunks[stream, default: ""] += String(decoding: bytes, as: UTF8.self)
            } else if m["method"] != nil {
                #expect(m["method"] == "container/started" || m["method"] == "container/exit", "\(m)")
            } else {
                result = m["result"]
                #expect(m["id"] == 2, "\(m)")
            }
        }
        let run = try #require(result)
        #expect(validator.validate(run, schema("run")).isEmpty)
        #expect(run["ExitCode"] == 4)
        #expect(chunks == ["stdout": "out\n", "stderr": "err\n"])

        s.sendLine(request(3, "ps", ["all": true]))
        let ps = try #require(try s.reader.json(timeout: 60)?["result"])
        #expect(validator.validate(ps, schema("ps")).isEmpty)
        #expect(ps["containers"]?.arrayValue?.first?["Names"] == ["/job"])
        s.sendLine(request(4, "commit", ["container": "job", "reference": "bb:made", "message": "made a file"]))
        let committed = try #require(try s.reader.json(timeout: 60)?["result"])
        #expect(committed["RepoTags"] == ["bb:made"])
        s.sendLine(request(5, "rm", ["containers": ["job"]]))
        #expect(try s.reader.json(timeout: 60)?["result"]?["removed"] == ["job"])
        s.sendLine(request(6, "run", ["image": "bb:made", "rm": true, "command": ["cat", "/made"]]))
        var out = ""
        while true {
            let m = try #require(try s.reader.json(timeout: 60))
            if m["method"] == "container/output" {
                out += String(decoding: Data(base64Encoded: m["params"]?["data"]?.stringValue ?? "") ?? Data(), as: UTF8.self)
                continue
            }
            if m["method"] != nil { continue }
            #expect(m["result"]?["ExitCode"] == 0)
            break
        }
        #expect(out == "made\n")
        // A command that cannot start is an engine error, not invalid params.
        s.sendLine(request(7, "run", ["image": "bb", "command": ["nope"]]))
        #expect(try s.reader.json(timeout: 60)?.errorCode == -32000)
    }
}

/// Detached containers: a monitor of their own, logs, stop, kill, wait.
@Suite(.serialized) struct DetachedContainerTests {
    @Test func createThenStartAndRestart() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        var r = try cli.run(["create", "--name", "later", "busybox", "sh", "-c", "echo run >> /runs; cat /runs | wc -l; exit 3"])
        #expect(r.status == 0 && r.output.count == 65, "\(r.output)")
        #expect(try cli.run(["ps", "-a"]).output.contains("Created"))
        #expect(try cli.run(["start", "later"]).output == "later\n")
        #expect(try cli.run(["wait", "later"]).output == "3\n")
        // A second start reuses the container's writable layer.
        _ = try cli.run(["start", "later"])
        #expect(try cli.run(["wait", "later"]).output == "3\n")
        r = try cli.run(["logs", "later"])
        #expect(r.output == "1\n2\n", "\(r.output)")
        #expect(try cli.run(["rm", "later"]).status == 0)
        // Labels: the image's and --label's, in inspect.
        _ = try cli.run(["create", "--name", "labelled", "-l", "team=estiba", "-l", "env=test", "busybox", "true"])
        #expect(try cli.run(["inspect", "-f", "{{json .Config.Labels}}", "labelled"]).output == "{\"env\":\"test\",\"team\":\"estiba\"}\n")
        _ = try cli.run(["rm", "labelled"])
        // The same over JSON-RPC.
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(1, "run", ["image": "busybox", "name": "rpc-later", "createOnly": true, "command": ["true"]]))
        #expect(try s.reader.json(timeout: 60)?["result"]?["Name"] == "rpc-later")
        s.sendLine(request(2, "start", ["containers": ["rpc-later"]]))
        #expect(try s.reader.json(timeout: 60)?["result"]?["started"] == ["rpc-later"])
        #expect(try cli.run(["wait", "rpc-later"]).output == "0\n")
        #expect(try cli.run(["start", "nosuch"]).status != 0)
    }

    @Test func detachedContainersOutliveTheCommandAndStopCleanly() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        // The command returns at once with the ID; the container keeps running under its monitor.
        let started = try cli.run(["run", "-d", "--name", "bg", "busybox", "sh", "-c", "echo started; while true; do echo tick; sleep 0.1; done"])
        #expect(started.status == 0 && started.output.count == 65, "\(started.output)")
        usleep(400_000)
        #expect(try cli.run(["ps"]).output.contains("Up "))
        #expect(try cli.run(["logs", "bg"]).output.hasPrefix("started\ntick\n"))
        // exec joins the running container: its files, its pid namespace, its hostname.
        let inside = try cli.run(["exec", "bg", "sh", "-c", "echo $$ > /tmp/exec-was-here; cat /proc/1/cmdline | tr '\\0' ' '; echo; exit 4"])
        #expect(inside.status == 4)
        #expect(inside.output.hasPrefix("sh -c echo started"), "\(inside.output)")
        // A pid from inside the container's pid namespace (small), written into the container's own files.
        let pidInside = try cli.run(["exec", "bg", "cat", "/tmp/exec-was-here"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(pidInside) ?? 99999) < 1000, "\(pidInside)")
        #expect(try cli.run(["exec", "--user", "nobody", "bg", "id", "-u"]).output == "65534\n")
        #expect(try cli.run(["exec", "bg", "no-such-command"]).status != 0)
        // A first process ignores SIGTERM: stop waits the grace period, then kills.
        let t0 = Date()
        #expect(try cli.run(["stop", "-t", "1", "bg"]).status == 0)
        #expect(Date().timeIntervalSince(t0) >= 0.9)
        #expect(try cli.run(["wait", "bg"]).output == "137\n")
        #expect(try cli.run(["ps", "-a"]).output.contains("Exited (137)"))
        #expect(try cli.run(["rm", "bg"]).status == 0)

        // wait returns the exit code; logs -f ends when the container does.
        _ = try cli.run(["run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 0.3; echo done; exit 3"])
        #expect(try cli.run(["logs", "-f", "short"]).output == "done\n")
        #expect(try cli.run(["wait", "short"]).output == "3\n")
        #expect(try cli.run(["rm", "short"]).status == 0)
        // kill delivers a signal; rm -f removes a running container.
        _ = try cli.run(["run", "-d", "--name", "kk", "busybox", "sleep", "30"])
        #expect(try cli.run(["rm", "kk"]).status != 0)
        #expect(try cli.run(["kill", "-s", "KILL", "kk"]).status == 0)
        #expect(try cli.run(["wait", "kk"]).output == "137\n")
        _ = try cli.run(["run", "-d", "--name", "ff", "busybox", "sleep", "30"])
        #expect(try cli.run(["rm", "-f", "ff", "kk"]).status == 0)
        // -d --rm removes itself when it ends.
        _ = try cli.run(["run", "-d", "--rm", "--name", "auto", "busybox", "true"])
        let deadline = Date().addingTimeInterval(10)
        while try cli.run(["ps", "-a"]).output.contains("auto"), Date() < deadline { usleep(50_000) }
        #expect(!(try cli.run(["ps", "-a"]).output.contains("auto")))
        let leftover = try cli.run(["ps", "-a"]).output
        #expect(try cli.run(["ps", "-aq"]).output.isEmpty, "\(leftover)")
    }
}

extension DetachedContainerTests {
    @Test func detachedContainerOutlivesTheServiceThatStartedIt() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let data = try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))
        let doc = try JSONValue.parse(Array(data))
        let validator = SchemaValidator(document: doc)
        func schema(_ m: String) -> JSONValue { doc["methods"]?.arrayValue?.first { $0["name"]?.stringValue == m }?["result"]?["schema"] ?? .null }
        let socketPath = cli.root + ".sock"
        func startService() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.estiba)
            p.arguments = ["serve", "--socket", socketPath]
            p.environment = scratchEnvironment(root: cli.root)
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(20)
            while !SocketClient.canConnect(socketPath), Date() < deadline { usleep(5000) }
            return p
        }
        func call(_ client: SocketClient, _ method: String, _ params: JSONValue) throws -> JSONValue {
            let reply = try client.call(method, params)
            let result = try #require(reply["result"], "\(method): \(reply)")
            #expect(validator.validate(result, schema(method)).isEmpty, "\(method)")
            return result
        }
        var service = try startService()
        let started = try call(try SocketClient(path: socketPath), "run", [
            "image": "busybox", "detach": true, "name": "survivor", "command": ["sh", "-c", "sleep 1; echo done; exit 6"],
        ])
        #expect(started["ExitCode"] == .null)
        service.terminate()
        service.waitUntilExit()
        service = try startService()
        defer {
            service.terminate()
            service.waitUntilExit()
        }
        let client = try SocketClient(path: socketPath)
        let ps = try call(client, "ps", ["all": true])
        #expect(ps["containers"]?.arrayValue?.first?["Names"] == ["/survivor"])
        #expect(try call(client, "wait", ["container": "survivor"])["ExitCode"] == 6)
        let logs = try call(client, "logs", ["container": "survivor"])
        #expect(String(decoding: Data(base64Encoded: logs["data"]?.stringValue ?? "") ?? Data(), as: UTF8.self) == "done\n")
        #expect(try client.call("kill", ["container": "survivor"]).errorCode == -32006)
        _ = try call(client, "rm", ["containers": ["survivor"]])
    }
}
