import System

/// A tagged image name (`busybox:latest`, `registry.example.com:5000/team/app:1.2`). Docker Hub prefixes are
/// dropped (`docker.io/library/busybox` is `busybox`), and a missing tag means `latest`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var tag: String

    public init(name: String, tag: String = "latest") {
        self.name = name
        self.tag = tag
    }

    /// Parses and validates `name[:tag]`.
    public init(parsing text: String) throws(EstibaError) {
        var name = text
        var tag = "latest"
        if text.contains("@") {
            throw EstibaError(.invalidArgument, "\"\(text)\": digest references cannot name a local tag; use name:tag.")
        }
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            name = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
        }
        for prefix in ["docker.io/library/", "index.docker.io/library/", "docker.io/"] where name.hasPrefix(prefix) {
            name.removeFirst(prefix.count)
            break
        }
        guard Self.validName(name) else {
            throw EstibaError(
                .invalidArgument,
                "\"\(text)\" is not a valid image name: use lowercase letters, digits and separators (. _ - /), like busybox or example.com/team/app:1.0.",
                context: ["reference": text])
        }
        guard Self.validTag(tag) else {
            throw EstibaError(
                .invalidArgument, "\"\(tag)\" is not a valid tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.",
                context: ["reference": text])
        }
        self.name = name
        self.tag = tag
    }

    public var description: String { "\(name):\(tag)" }

    static func validTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard let first = u.first, u.count <= 128, isWord(first) else { return false }
        return u.allSatisfy { isWord($0) || $0 == 0x2E || $0 == 0x2D }
    }

    static func isWord(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// Distribution-spec name: optional registry host (may have a port), then lowercase path components.
    static func validName(_ n: String) -> Bool {
        guard !n.isEmpty, n.utf8.count <= 255 else { return false }
        var parts = n.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost" {
            let host = parts.removeFirst()
            let hostParts = host.split(separator: ":", omittingEmptySubsequences: false)
            guard hostParts.count <= 2, let hostname = hostParts.first, !hostname.isEmpty,
                hostname.utf8.allSatisfy({ (isWord($0) && $0 != 0x5F) || $0 == 0x2E || $0 == 0x2D })
            else { return false }
            if hostParts.count == 2 {
                let port = hostParts[1]
                guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            }
        }
        return parts.allSatisfy(validComponent)
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func validComponent(_ c: String) -> Bool {
        let u = Array(c.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) }
        guard let f = u.first, let l = u.last, alnum(f), alnum(l) else { return false }
        var i = 0
        while i < u.count {
            if alnum(u[i]) { i += 1; continue }
            var j = i
            while j < u.count, !alnum(u[j]) { j += 1 }
            let sep = Array(u[i..<j])
            let ok = sep == [0x2E] || sep == [0x5F] || sep == [0x5F, 0x5F] || sep.allSatisfy { $0 == 0x2D }
            if !ok { return false }
            i = j
        }
        return true
    }
}
