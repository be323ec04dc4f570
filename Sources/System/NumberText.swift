import Glibc

/// A floating-point number through C's printf conversions (`%.3g` and the like), which Go's fmt matches.
public enum NumberText {
    /// `value` formatted by the one conversion in `format` (for example `"%.3g"`).
    public static func format(_ value: Double, _ format: String) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
