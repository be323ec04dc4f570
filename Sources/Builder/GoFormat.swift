import Dockerfile

/// Go `fmt` renderings that Docker's classic builder writes into history (`%q`, `%v`, durations).
enum GoFormat {
    /// `%q` of a string: a double-quoted Go string literal.
    static func quote(_ s: String) -> String { GoText.quote(s) }

    /// `%q` of a `[]string`: `["a" "b"]`.
    static func quoteList(_ list: [String]) -> String { "[" + list.map(quote).joined(separator: " ") + "]" }

    /// `%v` of a `[]string`: `[a b]`.
    static func list(_ list: [String]) -> String { "[" + list.joined(separator: " ") + "]" }

    /// `%q` of an int: a Go rune literal (`'\x00'`, `'A'`).
    static func quoteRune(_ v: Int) -> String {
        switch v {
        case 7: return "'\\a'"
        case 8: return "'\\b'"
        case 9: return "'\\t'"
        case 10: return "'\\n'"
        case 11: return "'\\v'"
        case 12: return "'\\f'"
        case 13: return "'\\r'"
        case 39: return "'\\''"
        case 92: return "'\\\\'"
        default:
            if v < 0x20 || v == 0x7F { return "'\\x" + hex2(UInt32(v)) + "'" }
            if let u = Unicode.Scalar(UInt32(v)) { return "'" + String(Character(u)) + "'" }
            return "'\\ufffd'"
        }
    }

    private static func hex2(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4) & 15], digits[Int(v) & 15]])
    }

    /// Go's `time.Duration.String()` for a duration in nanoseconds.
    static func duration(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        var out = ""
        var u = UInt64(ns.magnitude)
        let negative = ns < 0
        if u < 1_000_000_000 {
            // Sub-second: ns, µs or ms with a fraction.
            let (unit, scale): (String, UInt64) = u < 1_000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            out = fraction(u, scale) + unit
        } else {
            let hours = u / 3_600_000_000_000
            u -= hours * 3_600_000_000_000
            let minutes = u / 60_000_000_000
            u -= minutes * 60_000_000_000
            out = fraction(u, 1_000_000_000) + "s"
            if hours > 0 {
                out = "\(hours)h\(minutes)m" + out
            } else if minutes > 0 {
                out = "\(minutes)m" + out
            }
        }
        return negative ? "-" + out : out
    }

    private static func fraction(_ v: UInt64, _ scale: UInt64) -> String {
        let whole = v / scale
        var rest = v % scale
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var s = scale
        while rest > 0 {
            s /= 10
            digits.append(Character(String(rest / s)))
            rest %= s
        }
        return "\(whole).\(digits)"
    }
}
