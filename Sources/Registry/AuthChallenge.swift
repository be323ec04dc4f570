/// One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
struct AuthChallenge: Equatable, Sendable {
    /// The scheme, lowercased (`bearer`, `basic`).
    var scheme: String
    /// Parameters by lowercased name.
    var parameters: [String: String]

    /// The challenges of the header values, in order.
    static func parse(_ values: [String]) -> [AuthChallenge] {
        var out: [AuthChallenge] = []
        for value in values {
            var scanner = Scanner(Array(value.utf8))
            while let token = scanner.token() {
                scanner.skipSpaces()
                if scanner.peek == 0x3D, var current = out.last {
                    // `name=value` of the current challenge.
                    scanner.advance()
                    current.parameters[token.lowercased()] = scanner.value()
                    out[out.count - 1] = current
                } else {
                    out.append(AuthChallenge(scheme: token.lowercased(), parameters: [:]))
                }
            }
        }
        return out
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
        mutating func advance() { i += 1 }
        mutating func skipBlanks() { while let c = peek, c == 0x20 || c == 0x09 || c == 0x2C { advance() } }

        /// A token (up to a blank, `=`, `,` or `"`), or nil at the end; stray characters are skipped.
        mutating func token() -> String? {
            while true {
                skipBlanks()
                guard peek != nil else { return nil }
                let start = i
                while let c = peek, c > 0x20, c != 0x3D, c != 0x2C, c != 0x22 { advance() }
                if i > start { return String(decoding: bytes[start..<i], as: UTF8.self) }
                advance()
            }
        }

        /// A quoted string (with `\` escapes) or a token.
        mutating func value() -> String {
            skipSpaces()
            guard peek == 0x22 else {
                let start = i
                while let c = peek, c != 0x2C, c != 0x20 { advance() }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
            advance()
            var out: [UInt8] = []
            while let c = peek {
                advance()
                if c == 0x22 { break }
                if c == 0x5C, let next = peek {
                    out.append(next)
                    advance()
                } else {
                    out.append(c)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func skipSpaces() { while let c = peek, c == 0x20 || c == 0x09 { advance() } }
    }
}
