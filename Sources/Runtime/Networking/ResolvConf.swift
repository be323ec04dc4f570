import System

/// The resolv.conf a container on a bridge network gets, as Docker makes it: the host's (systemd-resolved's upstream
/// file when the host's is its stub), with loopback name servers dropped (they are the host's own, out of the
/// container's reach), Google's public servers when none is left, and `--dns`, `--dns-search`, `--dns-option`
/// replacing the host's.
public enum ResolvConf {
    public static let fallbackServers = ["8.8.8.8", "8.8.4.4"]

    public static func hostFile() -> String {
        let host = String(decoding: (try? Files.read("/etc/resolv.conf", upTo: 1 << 16)) ?? [], as: UTF8.self)
        if host.contains("nameserver 127.0.0.53"), let upstream = try? Files.read("/run/systemd/resolve/resolv.conf", upTo: 1 << 16) {
            return String(decoding: upstream, as: UTF8.self)
        }
        return host
    }

    public static func forBridge(host: String, servers: [String], search: [String], options: [String]) -> String {
        var nameservers: [String] = [], searches: [String] = [], opts: [String] = [], other: [String] = []
        for line in host.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = f.first else { continue }
            switch key {
            case "nameserver": if f.count > 1 { nameservers.append(f[1]) }
            case "search", "domain": searches = Array(f.dropFirst())
            case "options": opts += f.dropFirst()
            default: if !key.hasPrefix("#") && !key.hasPrefix(";") { other.append(String(line)) }
            }
        }
        nameservers = nameservers.filter { !(IPv4($0)?.isLoopback ?? false) && $0 != "::1" }
        if nameservers.isEmpty { nameservers = fallbackServers }
        if !servers.isEmpty { nameservers = servers }
        if !search.isEmpty { searches = search == ["."] ? [] : search }
        if !options.isEmpty { opts = options }
        var out = ""
        if !searches.isEmpty { out += "search " + searches.joined(separator: " ") + "\n" }
        for n in nameservers { out += "nameserver " + n + "\n" }
        if !opts.isEmpty { out += "options " + opts.joined(separator: " ") + "\n" }
        return out
    }
}
