import System

/// A reference to an image in a registry, normalised as Docker does: `ubuntu` is
/// `docker.io/library/ubuntu:latest`, `team/app@sha256:…` is `docker.io/team/app@sha256:…`, and the first
/// component names a registry host only when it contains `.` or `:`, is `localhost`, or has capitals.
public struct RemoteReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry as named (`docker.io`, `example.com:5000`, `[::1]:5000`).
    public var domain: String
    /// The repository inside it (`library/ubuntu`).
    public var repository: String
    /// The tag: the one given, or `latest` when neither a tag nor a digest was.
    public var tag: String?
    /// The pinned manifest digest, when one was given.
    public var digest: Digest?

    public static let dockerHub = "docker.io"

    public init(domain: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.domain = domain
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses `[host[:port]/]path[:tag][@sha256:hex]`.
    public init(parsing text: String) throws(EstibaError) {
        func invalid(_ why: String) -> EstibaError {
            EstibaError(.invalidArgument, "\"\(text)\" is not a valid image reference: \(why)", context: ["reference": text])
        }
        guard !text.isEmpty else { throw invalid("give a name such as busybox or example.com/team/app:1.0.") }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let d = rest[rest.index(after: at)...]
            guard d.hasPrefix("sha256:") else { throw invalid("only sha256 digests are supported (name@sha256:<64 hex digits>).") }
            guard let parsed = Digest(String(d)) else { throw invalid("a sha256 digest has 64 lowercase hexadecimal digits.") }
            digest = parsed
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard ImageReference.validTag(t) else {
                throw invalid("the tag \"\(t)\" must be up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.")
            }
            tag = t
            rest = rest[..<colon]
        }
        var domain = Self.dockerHub
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = String(rest[..<slash])
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                guard Self.validDomain(first) else { throw invalid("\"\(first)\" is not a valid registry host[:port].") }
                domain = first
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = Self.dockerHub }
        if domain == Self.dockerHub && !path.contains("/") { path = "library/" + path }
        guard !path.isEmpty, path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ ImageReference.validComponent(String($0)) })
        else {
            throw invalid("repository names are lowercase letters and digits separated by '.', '_', '__', '-' or '/'.")
        }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else { throw invalid("the name is longer than 255 characters.") }
        // A bare 64-digit hexadecimal name reads as an image ID, so Docker refuses it as a short name.
        guard Digest(hex: text) == nil else { throw invalid("a 64-digit hexadecimal name is an image ID; name the repository.") }
        if tag == nil && digest == nil { tag = "latest" }
        self.domain = domain
        self.repository = path
        self.tag = tag
        self.digest = digest
    }

    /// Whether `text` names a tag or a digest (`busybox:1`, `x@sha256:…`), rather than leaving `latest` implied.
    public static func namesTagOrDigest(_ text: String) -> Bool {
        let last = text.split(separator: "/").last ?? ""
        return last.contains(":") || last.contains("@")
    }

    /// `docker.io/library/ubuntu:latest`, `example.com/app@sha256:…`.
    public var description: String { name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "") }

    /// `domain/repository`.
    public var name: String { domain + "/" + repository }

    /// The name as Docker shows it: `ubuntu` for `docker.io/library/ubuntu`, `team/app` for `docker.io/team/app`.
    public var familiarName: String {
        guard domain == Self.dockerHub else { return name }
        if repository.hasPrefix("library/"), repository.split(separator: "/").count == 2 { return String(repository.dropFirst("library/".count)) }
        return repository
    }

    /// The host to connect to: Docker Hub's API lives at `registry-1.docker.io`.
    public var registryHost: String { domain == Self.dockerHub ? "registry-1.docker.io" : domain }

    /// The local tag a pull of this reference writes (none for a digest-only reference).
    public var localReference: ImageReference? { tag.map { ImageReference(name: familiarName, tag: $0) } }

    /// `host[:port]` with host a DNS name (`[a-zA-Z0-9]` components, inner `-`) or a bracketed IPv6 address.
    static func validDomain(_ d: String) -> Bool {
        var host = Substring(d)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inner = host[host.index(after: host.startIndex)..<close]
            guard !inner.isEmpty, inner.utf8.allSatisfy({ isHex($0) || $0 == 0x3A }) else { return false }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ p in
                let u = Array(p.utf8)
                guard let f = u.first, let l = u.last, isAlnum(f), isAlnum(l) else { return false }
                return u.allSatisfy { isAlnum($0) || $0 == 0x2D }
            }) else { return false }
        }
        if let port {
            guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        }
        return true
    }

    private static func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    private static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }
}
