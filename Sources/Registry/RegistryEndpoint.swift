import Synchronization
import System

/// Where a registry's API is and how to reach it: `https://HOST/v2/`; plain HTTP for a host the registries config
/// marks `insecure`; HTTPS first, then HTTP, for a loopback host (`localhost`, 127.0.0.0/8, `::1`), which Docker
/// treats as insecure by default. The certificate authority to trust is the config's `ca` for the host, else
/// `ca.crt` in its `certs.d/HOST[:PORT]/` directory (containers' and Docker's), else the system's; `skipVerify`
/// turns the check off.
struct RegistryEndpoint: Sendable, Equatable {
    /// `host[:port]` as used in URLs (`registry-1.docker.io`, `127.0.0.1:5000`, `[::1]:5000`).
    let host: String
    /// The certificate authorities to trust for this host instead of the system's, when it has its own.
    let caFile: String?
    /// Plain HTTP only.
    let insecure: Bool
    /// HTTPS without checking the certificate.
    let skipVerify: Bool

    init(host: String, certificateDirectories: [String] = [], settings: HostSettings = HostSettings()) {
        self.host = host
        caFile = settings.ca ?? certificateDirectories.lazy.map { $0 + "/" + host + "/ca.crt" }.first { Files.exists($0) }
        insecure = settings.insecure
        skipVerify = settings.skipVerify
    }

    /// The `certs.d` directories, in containers/image's order then Docker's: `$HOME/.config/containers/certs.d`,
    /// `/etc/containers/certs.d`, `/etc/docker/certs.d`.
    static func certificateDirectories(home: String?) -> [String] {
        (home.map { [$0 + "/.config/containers/certs.d"] } ?? []) + ["/etc/containers/certs.d", "/etc/docker/certs.d"]
    }

    /// The schemes to try, in order: for a loopback host, the one it answered on last in this process first
    /// (a long-lived service asks the same registry again and again).
    var schemes: [String] {
        if insecure { return ["http"] }
        guard Self.isLoopback(host) else { return ["https"] }
        return Self.answered.withLock { $0[host] } == "http" ? ["http", "https"] : ["https", "http"]
    }

    /// The scheme each loopback host answered on, in this process.
    private static let answered = Mutex<[String: String]>([:])

    /// Notes that `host` answered at `base` (`scheme://host`).
    static func remember(host: String, base: String) {
        guard isLoopback(host), let scheme = base.split(separator: ":").first.map(String.init) else { return }
        answered.withLock { $0[host] = scheme }
    }

    /// Whether `host[:port]` names this machine's loopback interface.
    static func isLoopback(_ hostPort: String) -> Bool {
        var host = Substring(hostPort)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]
            return host == "::1" || host == "0:0:0:0:0:0:0:1"
        }
        if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
        if host.lowercased() == "localhost" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { o in
            !o.isEmpty && o.count <= 3 && o.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (Int(o) ?? 256) <= 255
        }
    }
}
