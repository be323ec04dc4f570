/// A text's physical lines as UTF-16 code units (LSP's positions), split at LF, CR and CRLF: the units are held
/// once, and each line is cut from them when asked for.
struct TextLines: RandomAccessCollection, Sendable {
    /// The whole text's UTF-16 units.
    private let units: [UInt16]
    /// Each line's units, without its line break.
    private let spans: [Range<Int>]

    init(_ text: String) {
        let units = Array(text.utf16)
        var spans: [Range<Int>] = []
        spans.reserveCapacity(units.count / 24 + 1)
        var start = 0
        var i = 0
        while i < units.count {
            let unit = units[i]
            if unit == 0x0A || unit == 0x0D {
                spans.append(start..<i)
                // CRLF is one break.
                i += unit == 0x0D && i + 1 < units.count && units[i + 1] == 0x0A ? 2 : 1
                start = i
            } else {
                i += 1
            }
        }
        spans.append(start..<units.count)
        self.units = units
        self.spans = spans
    }

    var startIndex: Int { 0 }
    var endIndex: Int { spans.count }

    subscript(line: Int) -> [UInt16] { Array(units[spans[line]]) }
}
