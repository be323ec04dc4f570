/// Text helpers that reproduce Go's semantics where BuildKit's output depends on them.
public enum GoText {
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

    @inline(__always)
    static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    @inline(__always)
    static func isBlankByte(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0B || b == 0x0C || b == 0x0D }

    /// Runs `body` on the UTF-8 bytes of `s` (contiguous for native strings; copied otherwise).
    @inline(__always)
    static func withBytes<S: StringProtocol, R>(_ s: S, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        let copy = Array(s.utf8)
        return copy.withUnsafeBufferPointer(body)
    }

    /// Byte length of the UTF-8 sequence led by `b`.
    @inline(__always)
    static func sequenceLength(_ b: UInt8) -> Int { b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2 }

    /// The byte length of the Go-whitespace scalar at offset `i`, or 0 when it is not whitespace.
    @inline(__always)
    static func spaceWidth(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let b = buf[i]
        if b < 0x80 { return isASCIISpace(b) ? 1 : 0 }
        guard let (c, n) = scalar(buf, i) else { return 0 }
        return isSpace(c) ? n : 0
    }

    /// The scalar whose UTF-8 sequence starts at offset `i`, and the sequence's length.
    @inline(__always)
    static func scalar(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar, Int)? {
        let b = buf[i]
        if b < 0x80 { return (Unicode.Scalar(b), 1) }
        let n = min(sequenceLength(b), buf.count - i)
        guard n > 1 else { return nil }
        var value = UInt32(b) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
        for k in 1..<n { value = value << 6 | UInt32(buf[i + k] & 0x3F) }
        return Unicode.Scalar(value).map { ($0, n) }
    }

    /// The slice of `s` between two byte offsets (both on scalar boundaries).
    @inline(__always)
    static func slice(_ s: Substring, _ from: Int, _ to: Int) -> Substring {
        let u = s.utf8
        let a = u.index(u.startIndex, offsetBy: from)
        let b = u.index(a, offsetBy: to - from)
        return s[a..<b]
    }

    /// `strings.TrimSpace`.
    static func trimSpace<S: StringProtocol>(_ s: S) -> Substring {
        let str = Substring(s)
        let (a, b) = withBytes(str) { buf -> (Int, Int) in
            let a = leftEdge(buf)
            return (a, rightEdge(buf, from: a))
        }
        return slice(str, a, b)
    }

    /// `strings.TrimLeftFunc(s, unicode.IsSpace)`.
    static func trimLeft<S: StringProtocol>(_ s: S) -> Substring {
        let str = Substring(s)
        let a = withBytes(str) { leftEdge($0) }
        return a == 0 ? str : slice(str, a, str.utf8.count)
    }

    static func leftEdge(_ buf: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i < buf.count {
            let w = spaceWidth(buf, i)
            if w == 0 { break }
            i += w
        }
        return i
    }

    static func rightEdge(_ buf: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = buf.count
        while end > start {
            var p = end - 1
            if buf[p] < 0x80 {
                if !isASCIISpace(buf[p]) { break }
            } else {
                while p > start, buf[p] & 0xC0 == 0x80 { p -= 1 }
                if spaceWidth(buf, p) == 0 { break }
            }
            end = p
        }
        return end
    }

    /// `bytes.TrimRight(s, "\r\n")`.
    static func trimNewline<S: StringProtocol>(_ s: S) -> Substring {
        let str = Substring(s)
        let n = withBytes(str) { endBeforeNewlines($0) }
        return n == str.utf8.count ? str : slice(str, 0, n)
    }

    /// The length of `buf` without its trailing CRs and LFs.
    static func endBeforeNewlines(_ buf: UnsafeBufferPointer<UInt8>) -> Int {
        var end = buf.count
        while end > 0, buf[end - 1] == 0x0D || buf[end - 1] == 0x0A { end -= 1 }
        return end
    }

    /// `reWhitespace.Split(s, n)` for n = -1 (all) or n = 2 (first separator only).
    static func splitBlank<S: StringProtocol>(_ s: S, maxParts: Int = .max) -> [Substring] {
        let str = Substring(s)
        let bounds = withBytes(str) { buf -> [(Int, Int)] in
            var out: [(Int, Int)] = []
            var start = 0
            var i = 0
            while i < buf.count {
                if out.count + 1 < maxParts, isBlankByte(buf[i]) {
                    out.append((start, i))
                    var j = i + 1
                    while j < buf.count, isBlankByte(buf[j]) { j += 1 }
                    start = j
                    i = j
                    continue
                }
                i += 1
            }
            out.append((start, buf.count))
            return out
        }
        return bounds.map { slice(str, $0.0, $0.1) }
    }

    /// Go's `strconv.Quote` (also what `%q` prints for a string).
    public static func quote<S: StringProtocol>(_ s: S) -> String {
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
