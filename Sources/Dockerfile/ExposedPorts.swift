import System

/// EXPOSE's port specs: `PORT[/PROTOCOL]` or a range `FROM-TO[/PROTOCOL]`.
public enum ExposedPorts {
    /// The config keys (`80/tcp`) a spec names.
    public static func keys(_ spec: String) throws(EstibaError) -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
        let malformed = EstibaError(.syntax, "Invalid port \(spec): use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        guard ["tcp", "udp", "sctp"].contains(proto), let range = parts.first else { throw malformed }
        let bounds = range.split(separator: "-", maxSplits: 1).map { Int($0) }
        guard let lo = bounds.first ?? nil, lo >= 0, lo <= 65535 else { throw malformed }
        var hi = lo
        if bounds.count == 2 {
            guard let h = bounds[1], h >= lo, h <= 65535 else { throw EstibaError(.syntax, "Invalid port range \(spec).") }
            hi = h
        }
        return (lo...hi).map { "\($0)/\(proto)" }
    }
}
