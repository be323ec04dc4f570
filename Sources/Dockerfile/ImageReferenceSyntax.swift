/// Whether a base image name is a reference Docker's parser (`reference.ParseNormalizedNamed`) accepts:
/// `[domain[:port]/]path[:tag][@algorithm:hex]`, lower-case path components, a tag of at most 128 word
/// characters, dots and dashes, a digest of a known algorithm and length.
enum ImageReferenceSyntax {
    static func isValid(_ reference: String) -> Bool {
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            guard isDigest(rest[rest.index(after: at)...]) else { return false }
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            guard isTag(rest[rest.index(after: colon)...]) else { return false }
            rest = rest[..<colon]
        }
        guard !rest.isEmpty, rest.utf8.count <= 255 else { return false }
        var path = rest
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                guard isDomain(first) else { return false }
                path = rest[rest.index(after: slash)...]
            }
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy(isPathComponent) else { return false }
        // A bare 64-digit hexadecimal name is an image ID, not a name.
        if components.count == 1, path.utf8.count == 64, path.unicodeScalars.allSatisfy(isLowerHex) { return false }
        return true
    }

    static func isLowerHex(_ u: Unicode.Scalar) -> Bool { ("0"..."9").contains(u) || ("a"..."f").contains(u) }
    static func isAlnumLower(_ u: Unicode.Scalar) -> Bool { ("a"..."z").contains(u) || ("0"..."9").contains(u) }
    static func isAlnum(_ u: Unicode.Scalar) -> Bool { isAlnumLower(u) || ("A"..."Z").contains(u) }
    static func isWord(_ u: Unicode.Scalar) -> Bool { isAlnum(u) || u == "_" }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        let u = Array(s.unicodeScalars)
        guard let first = u.first, let last = u.last, isAlnumLower(first), isAlnumLower(last) else { return false }
        var i = 0
        while i < u.count {
            if isAlnumLower(u[i]) {
                i += 1
                continue
            }
            var j = i
            while j < u.count, !isAlnumLower(u[j]) { j += 1 }
            let separator = String(String.UnicodeScalarView(u[i..<j]))
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else {
                return false
            }
            i = j
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ s: Substring) -> Bool {
        let u = Array(s.unicodeScalars)
        guard let first = u.first, isWord(first), u.count <= 128 else { return false }
        return u.allSatisfy { isWord($0) || $0 == "." || $0 == "-" }
    }

    /// A host name or `[IPv6]`, with an optional `:port`.
    static func isDomain(_ s: Substring) -> Bool {
        var host = s
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return false }
            let inside = s[s.index(after: s.startIndex)..<close]
            guard !inside.isEmpty, inside.unicodeScalars.allSatisfy({ isAlnum($0) || $0 == ":" || $0 == "." }) else { return false }
            let after = s[s.index(after: close)...]
            if after.isEmpty { return true }
            guard after.hasPrefix(":") else { return false }
            return isPort(after.dropFirst())
        }
        if let colon = s.lastIndex(of: ":") {
            guard isPort(s[s.index(after: colon)...]) else { return false }
            host = s[..<colon]
        }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let u = Array(label.unicodeScalars)
            guard let first = u.first, let last = u.last, isAlnum(first), isAlnum(last) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == "-" }
        }
    }

    static func isPort(_ s: Substring) -> Bool { !s.isEmpty && s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }

    /// `algorithm:hex` of a supported algorithm (sha256, sha384, sha512) and its length.
    static func isDigest(_ s: Substring) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let hex = s[s.index(after: colon)...]
        let length: Int
        switch s[..<colon] {
        case "sha256": length = 64
        case "sha384": length = 96
        case "sha512": length = 128
        default: return false
        }
        return hex.utf8.count == length && hex.unicodeScalars.allSatisfy(isLowerHex)
    }
}
