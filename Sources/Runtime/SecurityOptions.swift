import System

/// `--security-opt` values, as Docker takes them: `seccomp=unconfined`, `seccomp=PROFILE.json` (a path, or the
/// profile's JSON itself), `no-new-privileges[=true|false]`.
public struct SecurityOptions: Sendable, Equatable {
    /// nil: unconfined.
    public var seccomp: SeccompFilter? = SeccompProfile.defaultFilter
    public var noNewPrivileges = false

    public init() {}

    public static func parse(_ options: [String]) throws(EstibaError) -> SecurityOptions {
        var result = SecurityOptions()
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0]
            let value = parts.count == 2 ? parts[1] : nil
            switch key {
            case "seccomp":
                guard let value, !value.isEmpty else {
                    throw EstibaError.runtime("--security-opt seccomp needs a value: seccomp=unconfined or seccomp=/path/to/profile.json.", stage: "seccomp")
                }
                if value == "unconfined" {
                    result.seccomp = nil
                } else {
                    let bytes: [UInt8]
                    let source: String
                    if value.hasPrefix("{") {
                        bytes = Array(value.utf8)
                        source = "given inline"
                    } else {
                        do { bytes = try Files.read(value, upTo: 4 << 20) } catch {
                            throw EstibaError.runtime(
                                cannot: "read the seccomp profile \(value)", error, advice: "Give the path of a readable JSON file.", stage: "seccomp")
                        }
                        source = value
                    }
                    let filter = try SeccompProfile.parse(bytes, source: source).filter(capabilities: SecurityPolicy.standard.capabilityNames)
                    // Built now, so a profile libseccomp cannot compile fails here rather than at start.
                    _ = try SeccompCompiler.program(for: filter)
                    result.seccomp = filter
                }
            case "no-new-privileges":
                switch value {
                case nil, "true": result.noNewPrivileges = true
                case "false": result.noNewPrivileges = false
                default: throw EstibaError.runtime("Invalid --security-opt \(option): no-new-privileges takes true or false.", stage: "security")
                }
            default:
                throw EstibaError.runtime(
                    "Unsupported --security-opt \(option): use seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges.", stage: "security")
            }
        }
        return result
    }
}

extension SeccompProfile {
    /// The default profile resolved for Docker's default capabilities on this machine.
    public static let defaultFilter: SeccompFilter = SeccompProfile.default.filter(capabilities: SecurityPolicy.standard.capabilityNames)
}
