import ImageStore
import System

/// The platform a pull wants: `os/architecture[/variant]` in Go's naming (`linux/arm64/v8`).
public struct PullPlatform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = Self.normalisedArchitecture(architecture)
        self.variant = variant
    }

    /// Parses `os/arch[/variant]` (`--platform`).
    public init(parsing text: String) throws(EstibaError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(Self.isNameByte) }) else {
            throw EstibaError(
                .invalidArgument, "\"\(text)\" is not a platform; give os/arch[/variant], like linux/amd64 or linux/arm64/v8.",
                context: ["platform": text])
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// This machine: linux and its architecture (arm64 is v8, as Docker assumes).
    public static var host: PullPlatform {
        let arch = HostPlatform.architecture
        return PullPlatform(os: "linux", architecture: arch, variant: arch == "arm64" ? "v8" : nil)
    }

    public var description: String { os + "/" + architecture + (variant.map { "/" + $0 } ?? "") }

    /// How well an index entry's platform fits: nil when it does not, larger when it fits better.
    func fit(_ p: Platform) -> Int? {
        guard p.os.lowercased() == os, Self.normalisedArchitecture(p.architecture.lowercased()) == architecture else { return nil }
        let theirs = p.variant.map { Self.normalisedVariant($0.lowercased(), architecture) } ?? Self.defaultVariant(architecture)
        let ours = variant.map { Self.normalisedVariant($0, architecture) } ?? Self.defaultVariant(architecture)
        if theirs == ours { return 2 }
        // No variant asked for: any variant of the architecture will do, the default one first.
        if variant == nil { return 1 }
        // arm runs older variants than its own: v7 runs v6 and v5.
        if architecture == "arm", let t = theirs, let o = ours, let tv = Int(t.dropFirst()), let ov = Int(o.dropFirst()), tv < ov { return 1 }
        return nil
    }

    static func normalisedArchitecture(_ a: String) -> String {
        switch a {
        case "x86_64", "x86-64": "amd64"
        case "aarch64": "arm64"
        case "i386", "i686": "386"
        case "armhf", "armel": "arm"
        default: a
        }
    }

    static func normalisedVariant(_ v: String, _ architecture: String) -> String? {
        if architecture == "amd64", v == "v1" { return nil }
        if architecture == "arm64", v == "8" { return "v8" }
        if architecture == "arm", v.count == 1 { return "v" + v }
        return v
    }

    static func defaultVariant(_ architecture: String) -> String? {
        switch architecture {
        case "arm64": "v8"
        case "arm": "v7"
        default: nil
        }
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
    }
}
