import EstibaJSON
import Foundation
import Glibc
import Testing

/// Networking for real (root, the CNI plugins, iptables): loopback, the default bridge, published ports, user
/// networks, and that nothing is left behind. All traffic stays on this machine: servers the tests start on the
/// host or in containers they made.
@Suite(.serialized) struct NetworkTests {
    typealias CLI = RuntimeTests.CLI

    func store() throws -> CLI? {
        guard let cli = try RuntimeTests().busyboxStore() else { return nil }
        guard FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge") else {
            Issue.record("network tests need containernetworking-plugins (.ci/install)")
            return nil
        }
        return cli
    }

    func remove(_ cli: CLI) {
        // Containers first: their removal takes their interfaces, addresses and rules.
        let ids = (try? cli.run(["ps", "-aq"]).output.split(separator: "\n").map(String.init)) ?? []
        if !ids.isEmpty { _ = try? cli.run(["rm", "-f"] + ids) }
        _ = try? cli.run(["network", "prune", "-f"])
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path)
    }

    /// A TCP port nothing listens on now.
    func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = INADDR_ANY
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// busybox httpd on the host, serving `files` on every address at `port`; stopped by the returned process.
    func hostServer(port: Int, files: [String: String]) throws -> Process {
        let dir = try Paths.temporaryDirectory().path
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/busybox")
        p.arguments = ["httpd", "-f", "-p", String(port), "-h", dir]
        try p.run()
        for _ in 0..<100 where (try? runProgram("/bin/busybox", ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:\(port)/\(files.keys.first ?? "")"]))?.status != 0 {
            usleep(20_000)
        }
        return p
    }

    /// A page fetched from the host (busybox wget), retried while the server starts.
    func fetch(_ url: String) throws -> (status: Int32, output: String) {
        var r = try runProgram("/bin/busybox", ["wget", "-q", "-O", "-", url])
        for _ in 0..<100 where r.status != 0 {
            usleep(30_000)
            r = try runProgram("/bin/busybox", ["wget", "-q", "-O", "-", url])
        }
        return r
    }

    /// The host's first global IPv4 address outside Estiba's bridges.
    func hostAddress() throws -> String? {
        let lines = try runProgram("/usr/sbin/ip", ["-4", "-o", "addr", "show", "scope", "global"]).output.split(separator: "\n")
        for l in lines {
            let f = l.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 3, !f[1].hasPrefix("estiba"), !f[1].hasPrefix("cni"), !f[1].hasPrefix("docker") else { continue }
            return f[3].split(separator: "/").first.map(String.init)
        }
        return nil
    }

    @Test func loopbackIsUpWithoutANetwork() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let r = try cli.run(["run", "--rm", "--network", "none", "busybox", "sh", "-c",
            "echo served > /tmp/page; httpd -p 127.0.0.1:8080 -h /tmp; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/page && break; sleep 0.1; done; ip -o link | wc -l"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output == "served\n1\n", "only lo, and it is up: \(r.output)")
    }

    /// A container whose set-up fails after its network was attached (a volume that cannot be mounted) is reported
    /// with the set-up's reason, and leaves no container or attachment.
    @Test func aSetUpThatFailsOnTheBridgeLeavesNothing() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let r = try cli.run(["run", "--name", "broken", "-v", "/tmp:/bin/busybox/x", "busybox", "true"])
        #expect(r.status == 125 && r.output.contains("mount a volume: Not a directory"), "\(r.output)")
        #expect(try cli.run(["ps", "-aq"]).output.isEmpty)
        let attached = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/estiba/attachments")) ?? []).filter { entry in
            ((try? String(contentsOfFile: "/run/estiba/attachments/" + entry, encoding: .utf8)) ?? "").contains(cli.root)
        }
        #expect(attached.isEmpty, "\(attached)")
        let ok = try cli.run(["run", "--rm", "busybox", "sh", "-c", "ip -o -4 addr show eth0 | grep -c 10.211."])
        #expect(ok.output == "1\n", "\(ok.output)")
    }

    /// Two stores may give networks the same subnet while neither has its bridge yet; the second to attach a
    /// container is refused with one sentence (its bridge would take the first one's traffic), and nothing is left.
    @Test func aSubnetAnotherStoreRoutesAlreadyIsRefusedAtStart() throws {
        guard let first = try store(), let second = try store() else { return }
        defer { remove(first); remove(second) }
        let subnet = "10.212.250.0/24"
        #expect(try first.run(["network", "create", "--subnet", subnet, "one"]).status == 0)
        #expect(try second.run(["network", "create", "--subnet", subnet, "two"]).status == 0)
        #expect(try first.run(["run", "-d", "--name", "holder", "--network", "one", "busybox", "sleep", "60"]).status == 0)
        let r = try second.run(["run", "--rm", "--network", "two", "busybox", "true"])
        #expect(r.status == 125 && r.output.contains("overlaps the host's route to \(subnet)"), "\(r.output)")
        #expect(try second.run(["ps", "-aq"]).output.isEmpty)
        let bridge = try JSONValue.parse(Array(try second.run(["network", "inspect", "two"]).output.utf8))
            .arrayValue?.first?["Options"]?["com.docker.network.bridge.name"]?.stringValue ?? ""
        #expect(!bridge.isEmpty && !FileManager.default.fileExists(atPath: "/sys/class/net/" + bridge))
        #expect(try first.run(["rm", "-f", "holder"]).status == 0)
    }

    /// An attachment record a killed process was writing (staged, never renamed) goes with the next recovery.
    @Test func aStagedAttachmentRecordOfAKilledWriterIsRemoved() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        try FileManager.default.createDirectory(atPath: "/run/estiba/attachments", withIntermediateDirectories: true)
        let staged = "/run/estiba/attachments/.tmp-killed\(getpid())"
        try "{".write(toFile: staged, atomically: false, encoding: .utf8)
        #expect(try cli.run(["ps", "-a"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: staged))
    }

    @Test func theDefaultBridgeReachesAServerOnTheGateway() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let port = freePort()
        let server = try hostServer(port: port, files: ["page": "from the host\n"])
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let r = try cli.run(["run", "--rm", "busybox", "sh", "-c",
            "wget -q -O - http://10.211.0.1:\(port)/page && ip route | grep '^default via 10.211.0.1' && grep -c '^nameserver 127' /etc/resolv.conf; grep \"$(hostname)\" /etc/hosts"])
        #expect(r.output.hasPrefix("from the host\ndefault via 10.211.0.1 dev eth0"), "\(r.output)")
        #expect(r.output.contains("\n0\n10.211."), "no loopback name server; the container's address names it: \(r.output)")
    }

    @Test func aBuildStepReachesALocalMirrorOnTheBridge() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let port = freePort()
        let server = try hostServer(port: port, files: ["Packages": "Package: estiba-test\n"])
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let ctx = try Paths.temporaryDirectory().path
        try "FROM busybox\nRUN wget -q -O /Packages http://10.211.0.1:\(port)/Packages\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        var r = try cli.run(["build", "-t", "mirrored", ctx])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["run", "--rm", "mirrored", "cat", "/Packages"])
        #expect(r.output == "Package: estiba-test\n", "\(r.output)")
        // --network none: no route to it.
        try "FROM busybox\nRUN wget -q -O /P http://10.211.0.1:\(port)/Packages\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "--network", "none", "-t", "isolated", ctx])
        #expect(r.status != 0, "\(r.output)")
    }

    @Test func publishedPortsReachTheContainer() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let port = freePort()
        var r = try cli.run(["run", "-d", "--name", "web", "-p", "127.0.0.1:\(port):80", "busybox", "sh", "-c", "echo web > /tmp/index.html; httpd -f -p 80 -h /tmp"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try fetch("http://127.0.0.1:\(port)/").output == "web\n")
        r = try cli.run(["port", "web"])
        #expect(r.output == "80/tcp -> 127.0.0.1:\(port)\n", "\(r.output)")
        r = try cli.run(["ps"])
        #expect(r.output.contains("127.0.0.1:\(port)->80/tcp"), "\(r.output)")
        r = try cli.run(["inspect", "-f", "{{json .HostConfig.PortBindings}} {{json .NetworkSettings.Ports}} {{.NetworkSettings.Gateway}}", "web"])
        #expect(r.output == "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\(port)\"}]} {\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\(port)\"}]} 10.211.0.1\n", "\(r.output)")
        // The same host port again is one clear error, and leaves no container.
        r = try cli.run(["run", "-d", "--name", "clash", "-p", "\(port):80", "busybox", "sleep", "5"])
        #expect(r.status == 125 && r.output.contains("already"), "\(r.output)")
        #expect(!(try cli.run(["ps", "-a"]).output.contains("clash")))
        r = try cli.run(["run", "--rm", "-p", "80:80:80", "busybox", "true"])
        #expect(r.status == 125 && r.output.contains("Invalid port spec"), "\(r.output)")

        // -P: every EXPOSEd port on a free host port; reachable from the host's address and from another container
        // through it (hairpin).
        let ctx = try Paths.temporaryDirectory().path
        try "FROM busybox\nEXPOSE 80\nCMD [\"sh\", \"-c\", \"echo exposed > /tmp/index.html; httpd -f -p 80 -h /tmp\"]\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(try cli.run(["build", "-t", "exposing", ctx]).status == 0)
        r = try cli.run(["run", "-d", "--name", "auto", "-P", "exposing"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["port", "auto", "80"])
        let published = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(published.hasPrefix("0.0.0.0:"), "\(r.output)")
        let hostPort = published.split(separator: ":").last.map(String.init) ?? ""
        guard let host = try hostAddress() else {
            Issue.record("no global IPv4 address on this host")
            return
        }
        #expect(try fetch("http://\(host):\(hostPort)/").output == "exposed\n")
        #expect(try fetch("http://127.0.0.1:\(hostPort)/").output == "exposed\n")
        r = try cli.run(["run", "--rm", "busybox", "wget", "-q", "-O", "-", "http://\(host):\(hostPort)/"])
        #expect(r.output == "exposed\n", "hairpin: \(r.output)")
    }

    @Test func userNetworksResolveNamesAndStayApart() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        var r = try cli.run(["network", "create", "backend"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try cli.run(["network", "create", "--internal", "sealed"]).status == 0)
        r = try cli.run(["network", "create", "--subnet", "10.211.7.0/24", "clashing"])
        #expect(r.status != 0 && r.output.contains("overlaps network bridge"), "\(r.output)")
        r = try cli.run(["network", "ls"])
        #expect(r.output.contains(" bridge ") && r.output.contains(" backend ") && r.output.contains(" sealed "), "\(r.output)")

        r = try cli.run(["run", "-d", "--name", "api", "--network", "backend", "--network-alias", "service", "busybox", "sh", "-c",
            "echo api > /tmp/index.html; httpd -f -p 80 -h /tmp"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["run", "--rm", "--network", "backend", "busybox", "sh", "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://service/ && break; sleep 0.1; done; wget -q -O - http://api/"])
        #expect(r.output == "api\napi\n", "by alias and by name: \(r.output)")
        let address = try cli.run(["inspect", "-f", "{{.NetworkSettings.Networks.backend.IPAddress}}", "api"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(address.hasPrefix("10.212."), "\(address)")
        // Another network cannot reach it; an internal one has no route out.
        r = try cli.run(["run", "--rm", "busybox", "sh", "-c", "timeout 3 wget -q -O - http://\(address)/ || echo unreachable"])
        #expect(r.output.hasSuffix("unreachable\n"), "\(r.output)")
        r = try cli.run(["run", "--rm", "--network", "sealed", "busybox", "sh", "-c", "ip route | grep -c default"])
        #expect(r.output == "0\n", "\(r.output)")
        // --add-host, --dns, --dns-search, --hostname.
        r = try cli.run(["run", "--rm", "--add-host", "mirror:10.1.2.3", "--dns", "10.9.9.9", "--dns-search", "example.test", "--hostname", "box",
            "busybox", "sh", "-c", "grep mirror /etc/hosts; grep -v options /etc/resolv.conf; hostname"])
        #expect(r.output == "10.1.2.3\tmirror\nsearch example.test\nnameserver 10.9.9.9\nbox\n", "\(r.output)")

        // connect / disconnect.
        #expect(try cli.run(["run", "-d", "--name", "other", "busybox", "sleep", "60"]).status == 0)
        #expect(try cli.run(["network", "connect", "backend", "other"]).status == 0)
        r = try cli.run(["exec", "other", "wget", "-q", "-O", "-", "http://api/"])
        #expect(r.output == "api\n", "\(r.output)")
        #expect(try cli.run(["network", "disconnect", "backend", "other"]).status == 0)
        r = try cli.run(["exec", "other", "sh", "-c", "ip -o -4 addr | grep -c 10.212."])
        #expect(r.output == "0\n", "\(r.output)")

        // In use: refused; unknown: one sentence, nothing made.
        r = try cli.run(["network", "rm", "backend"])
        #expect(r.status != 0 && r.output.contains("in use by container api"), "\(r.output)")
        r = try cli.run(["run", "--rm", "--name", "lost", "--network", "nowhere", "busybox", "true"])
        #expect(r.status == 125 && r.output.contains("No such network: nowhere"), "\(r.output)")
        #expect(!(try cli.run(["ps", "-a"]).output.contains("lost")))
        #expect(try cli.run(["rm", "-f", "api", "other"]).status == 0)
        r = try cli.run(["system", "prune"])
        #expect(r.output.contains("Deleted Networks:\nbackend\nsealed\n"), "\(r.output)")
    }

    /// What a network leaves on the host: interfaces up on its bridge, NAT rules naming it, and address allocations
    /// (host-local's files in /run, by the network's ID). Counted at once: a container's end takes its veth down
    /// itself (the kernel destroys the pair with the namespace a moment later, see `interfacesLeft`).
    func footprint(network: String, id: String, bridge: String) throws -> (links: Int, rules: Int, addresses: Int) {
        let links = try runProgram("/usr/sbin/ip", ["-o", "link", "show", "master", bridge, "up"]).output.split(separator: "\n").count
        let rules = try runProgram("/usr/sbin/iptables-save", []).output.split(separator: "\n").filter { $0.contains("estiba-" + network) }.count
        let ipam = "/run/estiba/ipam/" + id + "/estiba-" + network
        let addresses = ((try? FileManager.default.contentsOfDirectory(atPath: ipam)) ?? []).filter { $0.first?.isNumber == true && !$0.hasPrefix("last_") }.count
        return (links, rules, addresses)
    }

    /// The interfaces on `bridge`, up or down, once the kernel has had time to destroy the ended containers'
    /// namespaces (it does so in the background): waits up to 30 s for there to be `expected`.
    func interfacesLeft(on bridge: String, expected: Int = 0) throws -> Int {
        var count = 0
        for _ in 0..<300 {
            count = try runProgram("/usr/sbin/ip", ["-o", "link", "show", "master", bridge]).output.split(separator: "\n").count
            if count == expected { break }
            usleep(100_000)
        }
        return count
    }

    @Test func runRemoveCyclesLeaveNothingBehind() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        #expect(try cli.run(["network", "create", "cycles"]).status == 0)
        let inspect = try JSONValue.parse(Array(try cli.run(["network", "inspect", "cycles"]).output.utf8))
        let bridge = inspect.arrayValue?.first?["Options"]?["com.docker.network.bridge.name"]?.stringValue ?? ""
        let id = inspect.arrayValue?.first?["Id"]?.stringValue ?? ""
        #expect(bridge.hasPrefix("estiba-") && id.count == 64)
        // One container first: the bridge and the network's own rules exist from then on.
        #expect(try cli.run(["run", "--rm", "--network", "cycles", "busybox", "true"]).status == 0)
        let before = try footprint(network: "cycles", id: id, bridge: bridge)
        #expect(before.links == 0 && before.addresses == 0, "\(before)")
        for i in 0..<50 {
            // With published ports, and without.
            let ports = i % 2 == 0 ? ["-p", "80", "-p", "127.0.0.1::81/udp"] : []
            let r = try cli.run(["run", "--rm", "--network", "cycles"] + ports + ["busybox", "true"])
            #expect(r.status == 0, "cycle \(i): \(r.output)")
        }
        let after = try footprint(network: "cycles", id: id, bridge: bridge)
        #expect(after == before, "before \(before), after \(after)")
        #expect(try interfacesLeft(on: bridge) == 0)

        // A container whose monitor and process are killed: the next look at the store removes it (--rm), and its
        // network with it.
        var r = try cli.run(["run", "-d", "--rm", "--name", "doomed", "--network", "cycles", "-p", "80", "busybox", "sleep", "60"])
        #expect(r.status == 0, "\(r.output)")
        let pids = try cli.run(["inspect", "-f", "{{.State.Pid}}", "doomed"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let record = try JSONValue.parse(Array(try String(contentsOfFile: cli.root + "/containers/" + (try cli.run(["inspect", "-f", "{{.Id}}", "doomed"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) + "/record.json", encoding: .utf8).utf8))
        let monitor = record["monitorPid"]?.intValue ?? 0
        let running = try footprint(network: "cycles", id: id, bridge: bridge)
        #expect(running.links == 1 && running.addresses == 1 && running.rules > before.rules, "\(running)")
        if monitor > 0 { kill(pid_t(monitor), SIGKILL) }
        if let pid = Int32(pids), pid > 0 { kill(pid, SIGKILL) }
        // Gone once reaped (by init, which may take a moment).
        for pid in [Int32(monitor), Int32(pids) ?? 0] where pid > 0 {
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(20_000) }
        }
        r = try cli.run(["ps", "-a"])
        #expect(!r.output.contains("doomed"), "\(r.output)")
        let settled = try footprint(network: "cycles", id: id, bridge: bridge)
        #expect(settled == before, "before \(before), after recovery \(settled)")
        #expect(try interfacesLeft(on: bridge) == 0)
    }

    /// A user network for a leak count: its ID and bridge (made by its first container), and what it leaves now.
    func countedNetwork(_ cli: CLI, _ name: String) throws -> (id: String, bridge: String) {
        #expect(try cli.run(["network", "create", name]).status == 0)
        let inspect = try JSONValue.parse(Array(try cli.run(["network", "inspect", name]).output.utf8))
        let bridge = inspect.arrayValue?.first?["Options"]?["com.docker.network.bridge.name"]?.stringValue ?? ""
        let id = inspect.arrayValue?.first?["Id"]?.stringValue ?? ""
        #expect(bridge.hasPrefix("estiba-") && id.count == 64)
        #expect(try cli.run(["run", "--rm", "--network", name, "busybox", "true"]).status == 0)
        return (id, bridge)
    }

    /// The attachments recorded host-wide for `ids`.
    func recordedAttachments(_ ids: Set<String>) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/run/estiba/attachments")) ?? []).filter { ids.contains(String($0.dropLast(5))) }.count
    }

    @Test func aThousandRunRemoveCyclesWithPublishedPortsThroughTheServiceLeakNothing() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let (id, bridge) = try countedNetwork(cli, "thousand")
        let before = try footprint(network: "thousand", id: id, bridge: bridge)
        #expect(before.links == 0 && before.addresses == 0, "\(before)")
        let s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        var failures: [String] = []
        var ids: Set<String> = []
        for i in 0..<1000 {
            // A given host port and a random one, TCP and UDP; every other cycle without ports.
            let ports: [JSONValue] = i % 2 == 0 ? [.string("127.0.0.1:\(freePort()):80"), "81/udp"] : []
            s.sendLine(request(i + 1, "run", ["image": "busybox", "command": ["true"], "rm": true, "network": "thousand", "publish": .array(ports)]))
            while let m = try s.reader.json(timeout: 60) {
                if m["method"] == "container/started", let id = m["params"]?["container"]?.stringValue { ids.insert(id) }
                if m["method"] != nil { continue }
                if m["result"]?["ExitCode"] != .int(0) { failures.append("\(i): \(m)") }
                break
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(ids.count == 1000)
        // Counted at once: each end took its veth down and removed its rules and address itself.
        let after = try footprint(network: "thousand", id: id, bridge: bridge)
        #expect(after == before, "interfaces up, rules, addresses: before \(before), after \(after)")
        // And the kernel has destroyed the veths with their namespaces.
        let left = try interfacesLeft(on: bridge)
        #expect(left == 0)
        let natChains = try runProgram("/usr/sbin/iptables-save", ["-t", "nat"]).output.split(separator: "\n").filter { l in ids.contains { l.contains($0) } }
        #expect(natChains.isEmpty, "\(natChains.prefix(3))")
        #expect(recordedAttachments(ids) == 0)
        print("1000 run --rm -p cycles through the service: interfaces \(left), rules \(after.rules - before.rules), addresses \(after.addresses) left")
    }

    @Test func aKilledServiceWithPublishedPortsLeavesNothingAfterRemove() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let (id, bridge) = try countedNetwork(cli, "killed")
        let before = try footprint(network: "killed", id: id, bridge: bridge)
        let port = freePort()
        // An attached run (under its keeper) and a detached one (under its monitor), both publishing ports.
        var s = try StdioService(root: cli.root)
        s.sendLine(request(1, "run", ["image": "busybox", "command": ["sh", "-c", "echo up > /tmp/index.html; httpd -f -p 80 -h /tmp"], "name": "attached",
            "network": "killed", "publish": [.string("127.0.0.1:\(port):80"), "90/udp"]]))
        var started = false
        while let m = try s.reader.json(timeout: 60) {
            if m["method"] == "container/started" { started = true; break }
            if m["method"] == nil { break }
        }
        #expect(started)
        s.sendLine(request(2, "run", ["image": "busybox", "command": ["sleep", "60"], "name": "detached", "detach": true, "network": "killed", "publish": ["91"]]))
        while let m = try s.reader.json(timeout: 60), m["id"] != .int(2) || m["method"] != nil {}
        #expect(try fetch("http://127.0.0.1:\(port)/").output == "up\n")
        let running = try footprint(network: "killed", id: id, bridge: bridge)
        #expect(running.links == 2 && running.addresses == 2 && running.rules > before.rules, "\(running)")
        let ids = Set(SupervisionTests.containerIDs(cli))
        #expect(ids.count == 2 && recordedAttachments(ids) == 2)
        kill(s.process.processIdentifier, SIGKILL)
        s.process.waitUntilExit()
        // Both live on under their supervisors, reachable; a new service removes them.
        #expect(try fetch("http://127.0.0.1:\(port)/").output == "up\n")
        s = try StdioService(root: cli.root)
        defer { _ = try? s.terminate() }
        s.sendLine(request(3, "rm", ["containers": ["attached", "detached"], "force": true]))
        var removed: JSONValue?
        while let m = try s.reader.json(timeout: 60) {
            if m["id"] == .int(3), m["method"] == nil { removed = m; break }
        }
        #expect(removed?["result"] != nil, "\(String(describing: removed))")
        let after = try footprint(network: "killed", id: id, bridge: bridge)
        #expect(after == before, "interfaces, rules, addresses: before \(before), after \(after)")
        #expect(try interfacesLeft(on: bridge) == 0)
        #expect(SupervisionTests.containerIDs(cli).isEmpty && recordedAttachments(ids) == 0)
        #expect(try fetch("http://127.0.0.1:\(port)/").status != 0, "the port is no longer published")
    }

    /// Kills `container`'s monitor and process (waiting until init has reaped them), then deletes its store.
    func killAndDeleteStore(_ cli: CLI, container: String) throws {
        let id = try cli.run(["inspect", "-f", "{{.Id}}", container]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let record = try JSONValue.parse(Array(try String(contentsOfFile: cli.root + "/containers/\(id)/record.json", encoding: .utf8).utf8))
        for pid in [record["monitorPid"]?.intValue, record["pid"]?.intValue].compactMap({ $0 }) where pid > 0 {
            kill(pid_t(pid), SIGKILL)
            for _ in 0..<500 where kill(pid_t(pid), 0) == 0 { usleep(20_000) }
        }
        try FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path)
    }

    @Test func aStoreDeletedWithItsNetworksLeavesNoBridgeOrRule() throws {
        guard let cli = try store(), let other = try store() else { return }
        defer { remove(other) }
        // A network of each store, both with their bridges made; the deleted store's still has a container on it,
        // killed with its monitor.
        let (id, bridge) = try countedNetwork(cli, "gone")
        let (otherID, otherBridge) = try countedNetwork(other, "kept")
        var r = try cli.run(["run", "-d", "--name", "orphan", "--network", "gone", "busybox", "sleep", "60"])
        #expect(r.status == 0, "\(r.output)")
        func rules(_ bridge: String) throws -> [Substring] {
            try runProgram("/usr/sbin/iptables-save", []).output.split(separator: "\n").filter { $0.contains(bridge) }
        }
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/" + bridge))
        #expect(try !rules(bridge).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "/run/estiba/bridges/\(id).json"))
        try killAndDeleteStore(cli, container: "orphan")
        // The next recovery of any store removes what the deleted one's network left on the host.
        r = try other.run(["ps", "-a"])
        #expect(r.status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/" + bridge), "\(bridge) is left")
        let left = try rules(bridge)
        #expect(left.isEmpty, "\(left)")
        let nat = try runProgram("/usr/sbin/iptables-save", ["-t", "nat"]).output.split(separator: "\n").filter { $0.contains("estiba gone") }
        #expect(nat.isEmpty, "\(nat)")
        #expect(!FileManager.default.fileExists(atPath: "/run/estiba/ipam/" + id))
        #expect(!FileManager.default.fileExists(atPath: "/run/estiba/bridges/\(id).json"))
        // The other store's network is left as it was, and removed with `network rm`.
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/" + otherBridge))
        #expect(try !rules(otherBridge).isEmpty)
        #expect(try other.run(["network", "rm", "kept"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/" + otherBridge))
        #expect(!FileManager.default.fileExists(atPath: "/run/estiba/bridges/\(otherID).json"))
    }

    @Test func aStoreDeletedWithoutRemoveLeavesNoAddressOrInterface() throws {
        guard let cli = try store(), let other = try store() else { return }
        defer { remove(other) }
        // A detached container on the default bridge, publishing a port; its monitor and process killed, its store
        // deleted: the next recovery of any store releases what it held on the host.
        var r = try cli.run(["run", "-d", "--name", "orphan", "-p", "80", "busybox", "sleep", "60"])
        #expect(r.status == 0, "\(r.output)")
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "orphan"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let state = try JSONValue.parse(Array(try String(contentsOfFile: "/run/estiba/attachments/\(id).json", encoding: .utf8).utf8))
        let veths = (state["attachments"]?.arrayValue?.first?["driverState"]?["result"]?["interfaces"]?.arrayValue ?? [])
            .compactMap { $0["sandbox"] == nil ? $0["name"]?.stringValue : nil }.filter { $0.hasPrefix("veth") }
        #expect(veths.count == 1, "\(state)")
        func addresses() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/run/estiba/ipam/estiba-bridge")) ?? []).filter { name in
                name.first?.isNumber == true && ((try? String(contentsOfFile: "/run/estiba/ipam/estiba-bridge/" + name, encoding: .utf8)) ?? "").hasPrefix(id)
            }
        }
        #expect(addresses().count == 1)
        try killAndDeleteStore(cli, container: "orphan")
        r = try other.run(["ps", "-a"])
        #expect(r.status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/run/estiba/attachments/\(id).json"))
        #expect(addresses().isEmpty)
        // Down at once; gone with the namespace, which the kernel destroys in the background.
        for veth in veths {
            var shown = try runProgram("/usr/sbin/ip", ["-o", "link", "show", veth])
            #expect(shown.status != 0 || !shown.output.contains(",UP"), "\(veth) is still up: \(shown.output)")
            for _ in 0..<300 where shown.status == 0 {
                usleep(100_000)
                shown = try runProgram("/usr/sbin/ip", ["-o", "link", "show", veth])
            }
            #expect(shown.status != 0, "\(veth) is left")
        }
        let rules = try runProgram("/usr/sbin/iptables-save", ["-t", "nat"]).output.split(separator: "\n").filter { $0.contains(id) }
        #expect(rules.isEmpty, "\(rules)")
    }
}
