import CLauncher
import EstibaJSON
import System

/// A published port (`-p [IP:]HOSTPORT:CONTAINERPORT[/PROTO]`): traffic to the host's port reaches the container's.
public struct PortMapping: Sendable, Hashable {
    public enum Proto: String, Sendable { case tcp, udp }
    /// "" for every address of the host.
    public var hostIP: String
    /// 0 until a free one is chosen (`-p CONTAINERPORT`, `-P`).
    public var hostPort: Int
    public var containerPort: Int
    public var proto: Proto

    public init(hostIP: String = "", hostPort: Int, containerPort: Int, proto: Proto = .tcp) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    public var json: JSONValue {
        ["hostIP": .string(hostIP), "hostPort": .int(Int64(hostPort)), "containerPort": .int(Int64(containerPort)), "protocol": .string(proto.rawValue)]
    }

    public init?(json p: JSONValue) {
        guard let hp = p["hostPort"]?.intValue.flatMap({ Int(exactly: $0) }), let cp = p["containerPort"]?.intValue.flatMap({ Int(exactly: $0) }),
            let proto = p["protocol"]?.stringValue.flatMap(Proto.init(rawValue:))
        else { return nil }
        self.init(hostIP: p["hostIP"]?.stringValue ?? "", hostPort: hp, containerPort: cp, proto: proto)
    }

    /// "80/tcp", Docker's key for a container port.
    public var containerKey: String { "\(containerPort)/\(proto.rawValue)" }

    /// Docker's `ps` form: "127.0.0.1:18080->80/tcp", "0.0.0.0:…" for every address.
    public var display: String { "\(hostIP.isEmpty ? "0.0.0.0" : hostIP):\(hostPort)->\(containerKey)" }

    /// The mappings one `-p` spec asks for (ranges give one per port).
    public static func parse(_ spec: String) throws(EstibaError) -> [PortMapping] {
        func bad(_ why: String) -> EstibaError {
            EstibaError(.invalidArgument, "Invalid port spec \"\(spec)\": \(why); use [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp], or CONTAINERPORT.", context: ["port": spec])
        }
        var body = Substring(spec)
        var proto = Proto.tcp
        if let slash = body.lastIndex(of: "/") {
            guard let p = Proto(rawValue: String(body[body.index(after: slash)...]).lowercased()) else { throw bad("the protocol must be tcp or udp") }
            proto = p
            body = body[..<slash]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let ip: String, host: String, container: String
        switch parts.count {
        case 1: (ip, host, container) = ("", "", parts[0])
        case 2: (ip, host, container) = ("", parts[0], parts[1])
        case 3: (ip, host, container) = (parts[0], parts[1], parts[2])
        default: throw bad("too many colons")
        }
        if !ip.isEmpty, IPv4(ip) == nil { throw bad("\(ip) is not an IPv4 address") }
        guard let c = range(container) else { throw bad("the container port must be a number from 1 to 65535, or a range") }
        var hostPorts: [Int]
        if host.isEmpty {
            hostPorts = Array(repeating: 0, count: c.count)
        } else {
            guard let h = range(host) else { throw bad("the host port must be a number from 1 to 65535, or a range") }
            guard h.count == c.count else { throw bad("the host and container port ranges differ in length") }
            hostPorts = Array(h)
        }
        return zip(hostPorts, c).map { PortMapping(hostIP: ip == "0.0.0.0" ? "" : ip, hostPort: $0, containerPort: $1, proto: proto) }
    }

    /// "80" or "8000-8010" (at most 1,000 ports).
    static func range(_ text: String) -> ClosedRange<Int>? {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), ends.allSatisfy({ !$0.isEmpty && $0.count <= 5 && $0.allSatisfy(\.isASCII) }) else { return nil }
        guard let low = Int(ends[0]), let high = Int(ends[ends.count - 1]), 1 <= low, low <= high, high <= 65535, high - low < 1000 else { return nil }
        return low...high
    }

    /// An `EXPOSE` entry ("80", "53/udp") as a mapping to a port chosen later (`-P`).
    public static func exposed(_ entry: String) -> PortMapping? {
        let parts = entry.split(separator: "/")
        guard let first = parts.first, let port = Int(first), (1...65535).contains(port) else { return nil }
        let proto = parts.count > 1 ? Proto(rawValue: String(parts[1]).lowercased()) : .tcp
        guard let proto else { return nil }
        return PortMapping(hostPort: 0, containerPort: port, proto: proto)
    }

    /// A host port free for this mapping now: its own, checked (one in use is an error), or one the kernel picks.
    func withHostPort() throws(EstibaError) -> PortMapping {
        let rc = hostIP.withCString { estiba_probe_port($0, Int32(hostPort), proto == .udp ? 1 : 0) }
        guard rc > 0 else {
            let where_ = "\(hostIP.isEmpty ? "0.0.0.0" : hostIP):\(hostPort)/\(proto.rawValue)"
            if rc == ESTIBA_PORT_TAKEN {
                throw EstibaError(.conflict, "Port \(where_) is already in use on the host; publish another host port.", context: ["port": where_])
            }
            throw EstibaError(.invalidArgument, "Cannot publish \(where_): \(ErrorNumber.text(-rc)).", context: ["port": where_])
        }
        var m = self
        m.hostPort = Int(rc)
        return m
    }
}
