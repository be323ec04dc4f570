/// Text helpers that reproduce Go's semantics where BuildKit's output depends on them.
enum GoText {
    /// Go's `unicode.IsSpace`: the Unicode White_Space property (it includes U+0085 and U+00A0).
    @inline(__always)
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20, 0x09...0x0D: return true
        case 0..<0x80: return false
        default: return s.properties.isWhitespace
        }
    }

    /// The separators of BuildKit's `reWhitespace` (`[\t\v\f\r ]+`).
    @inline(__always)
    static func isBlank(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20, 0x09, 0x0B, 0x0C, 0x0D: return true
        default: return false
        }
    }

    /// `strings.TrimSpace`.
    static func trimSpace<S: StringProtocol>(_ s: S) -> Substring {
        let u = Substring(s).unicodeScalars
        guard let first = u.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = u.lastIndex(where: { !isSpace($0) }) ?? first
        return Substring(u[first...last])
    }

    /// `strings.TrimLeftFunc(s, unicode.IsSpace)`.
    static func trimLeft<S: StringProtocol>(_ s: S) -> Substring {
        let u = Substring(s).unicodeScalars
        guard let first = u.firstIndex(where: { !isSpace($0) }) else { return "" }
        return Substring(u[first...])
    }

    /// `bytes.TrimRight(s, "\r\n")`.
    static func trimNewline<S: StringProtocol>(_ s: S) -> Substring {
        let u = Substring(s).unicodeScalars
        guard let last = u.lastIndex(where: { $0 != "\r" && $0 != "\n" }) else { return "" }
        return Substring(u[...last])
    }

    /// `reWhitespace.Split(s, n)` for n = -1 (all) or n = 2 (first separator only).
    static func splitBlank<S: StringProtocol>(_ s: S, maxParts: Int = .max) -> [Substring] {
        let str = Substring(s)
        let u = str.unicodeScalars
        var parts: [Substring] = []
        var start = u.startIndex
        var i = u.startIndex
        while i < u.endIndex {
            if parts.count + 1 < maxParts, isBlank(u[i]) {
                parts.append(Substring(u[start..<i]))
                var j = i
                while j < u.endIndex, isBlank(u[j]) { j = u.index(after: j) }
                start = j
                i = j
                continue
            }
            i = u.index(after: i)
        }
        parts.append(Substring(u[start...]))
        return parts
    }

    /// Go's `strconv.Quote`.
    static func quote<S: StringProtocol>(_ s: S) -> String {
        var out = "\""
        out.unicodeScalars.reserveCapacity(s.utf8.count + 2)
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\x" + hex(c.value, digits: 2)
                } else if isPrint(c) {
                    out.unicodeScalars.append(c)
                } else if c.value < 0x10000 {
                    out += "\\u" + hex(c.value, digits: 4)
                } else {
                    out += "\\U" + hex(c.value, digits: 8)
                }
            }
        }
        out += "\""
        return out
    }

    /// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
    static func isPrint(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value >= 0x20 && c.value < 0x7F }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
