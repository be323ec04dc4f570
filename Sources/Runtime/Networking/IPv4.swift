/// An IPv4 address, and a subnet in CIDR form.
public struct IPv4: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Dotted quad ("10.211.0.1"); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let octet = UInt8(p) else { return nil }
            v = v << 8 | UInt32(octet)
        }
        value = v
    }

    public var description: String { "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)" }
    public var isLoopback: Bool { value >> 24 == 127 }
}

public struct IPv4Subnet: Sendable, Hashable, CustomStringConvertible {
    public var address: IPv4
    public var prefix: Int

    public init(address: IPv4, prefix: Int) {
        self.prefix = prefix
        self.address = IPv4(address.value & Self.mask(prefix))
    }

    /// "10.211.0.0/16"; nil for anything else (the host bits are cleared).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4(String(parts[0])), parts[1].count <= 2, let p = Int(parts[1]), (8...30).contains(p) else { return nil }
        self.init(address: a, prefix: p)
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    public var mask: UInt32 { Self.mask(prefix) }
    public var description: String { "\(address)/\(prefix)" }
    /// The first host address, a bridge network's gateway.
    public var firstHost: IPv4 { IPv4(address.value + 1) }
    public func contains(_ a: IPv4) -> Bool { a.value & mask == address.value }
    public func overlaps(_ other: IPv4Subnet) -> Bool {
        let m = Self.mask(min(prefix, other.prefix))
        return address.value & m == other.address.value & m
    }
}
