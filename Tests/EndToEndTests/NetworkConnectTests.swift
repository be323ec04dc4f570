import EstibaJSON
import Foundation
import Testing

/// `network connect` and `disconnect` as Docker does them: a connection is part of the container's configuration,
/// made in any state, shown by `inspect`, and attached at every start after its first network.
/// (Part of `NetworkTests`, which runs its tests one at a time.)
extension NetworkTests {
    /// The container's IPv4 addresses by interface, as `ip -o -4 addr` inside it shows them (lo left out).
    func interfaceAddresses(_ cli: CLI, _ container: String) throws -> [String: String] {
        let r = try cli.run(["exec", container, "ip", "-o", "-4", "addr"])
        var out: [String: String] = [:]
        for line in r.output.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 3, f[1] != "lo" else { continue }
            out[String(f[1])] = f[3].split(separator: "/").first.map(String.init)
        }
        return out
    }

    func inspected(_ cli: CLI, _ container: String, _ format: String) throws -> String {
        try cli.run(["inspect", "-f", format, container]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `box` runs on the default bridge as eth0 and on n1 as eth1 (the addresses `inspect` shows), finds its peer on
    /// n1 by name, and is found there by name and by its alias.
    func expectOnBothNetworks(_ cli: CLI, _ when: String) throws {
        let a = try interfaceAddresses(cli, "box")
        let bridge = try inspected(cli, "box", "{{.NetworkSettings.Networks.bridge.IPAddress}}")
        let n1 = try inspected(cli, "box", "{{.NetworkSettings.Networks.n1.IPAddress}}")
        #expect(a.count == 2 && a["eth0"] == bridge && bridge.hasPrefix("10.211.") && a["eth1"] == n1 && n1.hasPrefix("10.212."), "\(when): \(a), bridge \(bridge), n1 \(n1)")
        var r = try cli.run(["exec", "box", "wget", "-q", "-O", "-", "http://peer/"])
        #expect(r.output == "peer\n", "\(when): its peer on n1 by name: \(r.output)")
        r = try cli.run(["run", "--rm", "--network", "n1", "busybox", "sh", "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://svc/ && break; sleep 0.1; done; wget -q -O - http://box/"])
        #expect(r.output == "c\nc\n", "\(when): by alias and by name: \(r.output)")
    }

    @Test func aConnectionIsKeptInEveryStateAndAttachedAtEveryStart() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let (id, bridge) = try countedNetwork(cli, "n1")
        let before = try footprint(network: "n1", id: id, bridge: bridge)
        #expect(before.links == 0 && before.addresses == 0, "\(before)")
        #expect(try cli.run(["run", "-d", "--name", "peer", "--network", "n1", "busybox", "sh", "-c", "echo peer > /tmp/index.html; httpd -f -p 80 -h /tmp"]).status == 0)
        var r = try cli.run(["create", "--name", "box", "busybox", "sh", "-c", "echo c > /tmp/index.html; httpd -p 80 -h /tmp; exec sleep 60"])
        #expect(r.status == 0, "\(r.output)")

        // Created: recorded and shown, with no address yet.
        r = try cli.run(["network", "connect", "--alias", "svc", "n1", "box"])
        #expect(r.status == 0, "\(r.output)")
        let settings = try JSONValue.parse(Array(try inspected(cli, "box", "{{json .NetworkSettings.Networks}}").utf8))
        #expect(settings.objectValue?.keys.sorted() == ["bridge", "n1"], "\(settings)")
        #expect(settings["n1"]?["Aliases"] == ["svc"] && settings["n1"]?["IPAddress"] == "" && settings["n1"]?["NetworkID"] == .string(id), "\(settings)")

        // One clear sentence each.
        r = try cli.run(["network", "connect", "n1", "box"])
        #expect(r.status != 0 && r.output.contains("Container box is already connected to network n1."), "\(r.output)")
        #expect(try cli.run(["network", "create", "n2"]).status == 0)
        r = try cli.run(["network", "disconnect", "n2", "box"])
        #expect(r.status != 0 && r.output.contains("Container box is not connected to network n2."), "\(r.output)")
        #expect(try cli.run(["create", "--name", "hosted", "--network", "host", "busybox", "true"]).status == 0)
        r = try cli.run(["network", "connect", "n1", "hosted"])
        #expect(r.status != 0 && r.output.contains("uses network mode host, which cannot be combined with other networks"), "\(r.output)")
        r = try cli.run(["network", "connect", "n1", "nobody"])
        #expect(r.status != 0 && r.output.contains("No such container: nobody"), "\(r.output)")
        r = try cli.run(["network", "connect", "nowhere", "box"])
        #expect(r.status != 0 && r.output.contains("No such network: nowhere"), "\(r.output)")

        // Started, and started again after it stopped: on both networks each time.
        r = try cli.run(["start", "box"])
        #expect(r.status == 0, "\(r.output)")
        try expectOnBothNetworks(cli, "first start")
        #expect(try cli.run(["stop", "-t", "1", "box"]).status == 0)
        #expect(try inspected(cli, "box", "{{.NetworkSettings.Networks.n1.IPAddress}}|{{json .NetworkSettings.Networks.n1.Aliases}}") == "|[\"svc\"]")
        // A stopped container's network is in use as a running one's is.
        r = try cli.run(["network", "rm", "n1"])
        #expect(r.status != 0 && r.output.contains("Network n1 is in use by container"), "\(r.output)")
        #expect(try cli.run(["start", "box"]).status == 0)
        try expectOnBothNetworks(cli, "second start")

        // Disconnected while stopped: only eth0 at the next start, and n1 is free once its peer is gone.
        #expect(try cli.run(["stop", "-t", "1", "box"]).status == 0)
        r = try cli.run(["network", "disconnect", "n1", "box"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try inspected(cli, "box", "{{json .NetworkSettings.Networks}}").hasPrefix("{\"bridge\":"))
        r = try cli.run(["network", "rm", "n1"])
        #expect(r.status != 0 && r.output.contains("Network n1 is in use by container peer"), "\(r.output)")
        #expect(try cli.run(["start", "box"]).status == 0)
        let a = try interfaceAddresses(cli, "box")
        #expect(a.keys.sorted() == ["eth0"] && a["eth0"]?.hasPrefix("10.211.") == true, "\(a)")
        #expect(try cli.run(["rm", "-f", "peer"]).status == 0)
        #expect(try footprint(network: "n1", id: id, bridge: bridge) == before)
        r = try cli.run(["network", "rm", "n1"])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test func aRunningContainerIsAttachedAtOnceAndAgainAtItsNextStart() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let (id, bridge) = try countedNetwork(cli, "n1")
        let before = try footprint(network: "n1", id: id, bridge: bridge)
        #expect(try cli.run(["run", "-d", "--name", "peer", "--network", "n1", "busybox", "sh", "-c", "echo peer > /tmp/index.html; httpd -f -p 80 -h /tmp"]).status == 0)
        var r = try cli.run(["run", "-d", "--name", "box", "busybox", "sh", "-c", "echo c > /tmp/index.html; httpd -p 80 -h /tmp; exec sleep 60"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["network", "connect", "--alias", "svc", "n1", "box"])
        #expect(r.status == 0, "\(r.output)")
        try expectOnBothNetworks(cli, "connected while running")
        #expect(try cli.run(["stop", "-t", "1", "box"]).status == 0)
        #expect(try cli.run(["start", "box"]).status == 0)
        try expectOnBothNetworks(cli, "started again")
        // Disconnected while running: its interface goes at once, and it stays off at the next start.
        #expect(try cli.run(["network", "disconnect", "n1", "box"]).status == 0)
        #expect(try interfaceAddresses(cli, "box").keys.sorted() == ["eth0"])
        r = try cli.run(["exec", "peer", "sh", "-c", "grep -c svc /etc/hosts"])
        #expect(r.output == "0\n", "its names are gone from its peer's hosts file: \(r.output)")
        #expect(try cli.run(["stop", "-t", "1", "box"]).status == 0)
        #expect(try cli.run(["start", "box"]).status == 0)
        #expect(try interfaceAddresses(cli, "box").keys.sorted() == ["eth0"])

        // The network it was created on disconnected: its mode stays (as Docker's), the connected one is eth0 at
        // the next start; with none left it has loopback only, and can be connected again, to either.
        #expect(try cli.run(["network", "connect", "n1", "box"]).status == 0)
        #expect(try cli.run(["stop", "-t", "1", "box"]).status == 0)
        #expect(try cli.run(["network", "disconnect", "bridge", "box"]).status == 0)
        #expect(try inspected(cli, "box", "{{.HostConfig.NetworkMode}}") == "bridge")
        #expect(try inspected(cli, "box", "{{json .NetworkSettings.Networks}}").hasPrefix("{\"n1\":"))
        #expect(try cli.run(["start", "box"]).status == 0)
        let a = try interfaceAddresses(cli, "box")
        #expect(a.keys.sorted() == ["eth0"] && a["eth0"]?.hasPrefix("10.212.") == true, "\(a)")
        #expect(try cli.run(["network", "disconnect", "n1", "box"]).status == 0)
        #expect(try interfaceAddresses(cli, "box").isEmpty)
        #expect(try inspected(cli, "box", "{{.HostConfig.NetworkMode}}|{{json .NetworkSettings.Networks}}") == "bridge|{}")
        r = try cli.run(["network", "connect", "n1", "box"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["network", "connect", "bridge", "box"])
        #expect(r.status == 0, "\(r.output)")
        let both = try interfaceAddresses(cli, "box")
        #expect(both.keys.sorted() == ["eth0", "eth1"] && both["eth0"]?.hasPrefix("10.212.") == true && both["eth1"]?.hasPrefix("10.211.") == true, "\(both)")
        // Its own hosts lines: one a network, and the one of a network it leaves goes with it.
        let hostname = try cli.run(["exec", "box", "hostname"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        func ownLines() throws -> [String] {
            try cli.run(["exec", "box", "cat", "/etc/hosts"]).output.split(separator: "\n").map(String.init)
                .filter { $0.split(whereSeparator: \.isWhitespace).dropFirst().first.map(String.init) == hostname }
        }
        var own = try ownLines()
        #expect(own.count == 2 && own.contains { $0.hasPrefix((both["eth0"] ?? "-") + "\t") } && own.contains { $0.hasPrefix((both["eth1"] ?? "-") + "\t") }, "\(own)")
        #expect(try cli.run(["network", "disconnect", "n1", "box"]).status == 0)
        own = try ownLines()
        #expect(own.count == 1 && own.first?.hasPrefix((both["eth1"] ?? "-") + "\t") == true, "\(own)")
        #expect(try cli.run(["rm", "-f", "box", "peer"]).status == 0)
        #expect(try footprint(network: "n1", id: id, bridge: bridge) == before)
    }

    @Test func aStartThatFailsOnItsSecondNetworkLeavesNothingAndTheContainerAsItWas() throws {
        guard let cli = try store() else { return }
        defer { remove(cli) }
        let (id, bridge) = try countedNetwork(cli, "n1")
        let before = try footprint(network: "n1", id: id, bridge: bridge)
        // A network with room for one container, taken.
        var r = try cli.run(["network", "create", "--subnet", "10.213.99.0/30", "tiny"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try cli.run(["run", "-d", "--name", "holder", "--network", "tiny", "busybox", "sleep", "60"]).status == 0)
        #expect(try cli.run(["create", "--name", "box", "--network", "n1", "-p", "80", "busybox", "sleep", "60"]).status == 0)
        #expect(try cli.run(["network", "connect", "tiny", "box"]).status == 0)
        let cid = try inspected(cli, "box", "{{.Id}}")
        r = try cli.run(["start", "box"])
        #expect(r.status != 0 && r.output.contains("no IP addresses available"), "\(r.output)")
        #expect(try inspected(cli, "box", "{{.State.Status}}") == "created")
        #expect(try footprint(network: "n1", id: id, bridge: bridge) == before)
        #expect(recordedAttachments([cid]) == 0)
        let nat = try runProgram("/usr/sbin/iptables-save", ["-t", "nat"]).output.split(separator: "\n").filter { $0.contains(cid) }
        #expect(nat.isEmpty, "\(nat)")
        // Once the full network is left, it starts.
        #expect(try cli.run(["network", "disconnect", "tiny", "box"]).status == 0)
        r = try cli.run(["start", "box"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try interfaceAddresses(cli, "box").keys.sorted() == ["eth0"])
        #expect(try cli.run(["rm", "-f", "box", "holder"]).status == 0)
        #expect(try footprint(network: "n1", id: id, bridge: bridge) == before)
    }
}
