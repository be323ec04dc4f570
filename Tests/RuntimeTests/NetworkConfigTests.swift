import EstibaJSON
import Foundation
import Runtime
import System
import Testing

/// The networking component's parsing and text: `-p` specs, subnets, resolv.conf, network records.
@Suite struct NetworkConfigTests {
    @Test func portSpecsAsDockerReadsThem() throws {
        #expect(try PortMapping.parse("127.0.0.1:18080:80") == [PortMapping(hostIP: "127.0.0.1", hostPort: 18080, containerPort: 80)])
        #expect(try PortMapping.parse("8080:80/udp") == [PortMapping(hostPort: 8080, containerPort: 80, proto: .udp)])
        #expect(try PortMapping.parse("80") == [PortMapping(hostPort: 0, containerPort: 80)])
        #expect(try PortMapping.parse("127.0.0.1::53/udp") == [PortMapping(hostIP: "127.0.0.1", hostPort: 0, containerPort: 53, proto: .udp)])
        #expect(try PortMapping.parse("0.0.0.0:9000-9001:8000-8001") == [
            PortMapping(hostPort: 9000, containerPort: 8000), PortMapping(hostPort: 9001, containerPort: 8001),
        ])
        #expect(try PortMapping.parse("127.0.0.1:18080:80")[0].display == "127.0.0.1:18080->80/tcp")
        for bad in ["", "80:80:80:80", "x:80", "80/sctp", "99999", "1.2.3:80:80", "9000-9002:8000-8001", "0", "-1", "80-70"] {
            #expect(throws: EstibaError.self, "\(bad)") { try PortMapping.parse(bad) }
        }
        #expect(PortMapping.exposed("53/udp") == PortMapping(hostPort: 0, containerPort: 53, proto: .udp))
        #expect(PortMapping.exposed("http") == nil)
    }

    @Test func subnetsAndOverlaps() {
        let a = IPv4Subnet("10.211.0.0/16")
        #expect(a?.description == "10.211.0.0/16" && a?.firstHost.description == "10.211.0.1")
        #expect(IPv4Subnet("10.212.3.9/24")?.description == "10.212.3.0/24")
        #expect(a?.overlaps(IPv4Subnet("10.211.7.0/24")!) == true)
        #expect(a?.overlaps(IPv4Subnet("10.212.0.0/24")!) == false)
        for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/4", "256.0.0.0/8", "a.b.c.d/8", "10.0.0/8"] { #expect(IPv4Subnet(bad) == nil, "\(bad)") }
    }

    @Test func resolvConfDropsLoopbackServersAsDockerDoes() {
        let stub = "# generated\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n"
        #expect(ResolvConf.forBridge(host: stub, servers: [], search: [], options: []) == "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0 trust-ad\n")
        #expect(ResolvConf.forBridge(host: "nameserver 10.0.0.2\nnameserver 127.0.0.1\n", servers: [], search: [], options: []) == "nameserver 10.0.0.2\n")
        #expect(ResolvConf.forBridge(host: stub, servers: ["1.1.1.1"], search: ["example.test"], options: ["ndots:2"]) == "search example.test\nnameserver 1.1.1.1\noptions ndots:2\n")
    }

    @Test func userNetworksGetTheirOwnSubnetsAndRefuseOverlaps() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("estiba-netcfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try NetworkStore(root: root)
        let first = try store.create(name: "one", subnet: nil, internal: false)
        let second = try store.create(name: "two", subnet: nil, internal: true)
        #expect(first.subnet.prefix == 24 && !first.subnet.overlaps(second.subnet) && !first.subnet.overlaps(Network.defaultSubnet))
        #expect(first.bridge.count <= 15 && second.isInternal)
        #expect(throws: EstibaError.self) { try store.create(name: "one", subnet: nil, internal: false) }
        #expect(throws: EstibaError.self) { try store.create(name: "three", subnet: first.subnet.description, internal: false) }
        #expect(throws: EstibaError.self) { try store.create(name: "host", subnet: nil, internal: false) }
        #expect(throws: EstibaError.self) { try store.create(name: "bad name", subnet: nil, internal: false) }
        #expect(try store.find("two") == second && store.find("default").isDefault)
        #expect(store.all().map(\.name) == ["bridge", "one", "two"])
        #expect(throws: EstibaError.self) { try store.find("nowhere") }
    }
}
