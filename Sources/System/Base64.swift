/// Base64 (RFC 4648, standard alphabet, padded): output chunks in notifications, credentials in registry files
/// and `Authorization: Basic` headers.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = bytes.startIndex
        while i + 2 < bytes.endIndex {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.endIndex - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode` of a text's UTF-8 bytes.
    public static func encode(_ text: String) -> String { encode(Array(text.utf8)[...]) }

    /// Decodes standard base64 (padding optional, no whitespace); nil when it is not base64. `lenient` also takes
    /// the URL-safe alphabet and blanks anywhere, as credential files written by other tools may hold.
    public static func decode(_ text: String, lenient: Bool = false) -> [UInt8]? {
        if lenient {
            let mapped = text.utf8.compactMap { (c: UInt8) -> UInt8? in
                switch c {
                case UInt8(ascii: "-"): return UInt8(ascii: "+")
                case UInt8(ascii: "_"): return UInt8(ascii: "/")
                case 0x20, 0x0A, 0x0D, 0x09: return nil
                default: return c
                }
            }
            return decode(String(decoding: mapped, as: UTF8.self))
        }
        var value: UInt32 = 0
        var bits = 0
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var padding = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            value = value << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: value >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }
}
