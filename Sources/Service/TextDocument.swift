/// An open document as the editor sent it (LSP text synchronisation): its URI, version and text. Positions are
/// LSP's: 0-based lines (ended by "\n", "\r\n" or "\r") and UTF-16 code units within a line.
struct TextDocument: Sendable, Equatable {
    let uri: String
    var version: Int64
    var text: String

    /// A position as LSP sends it.
    struct Position: Sendable, Equatable {
        var line: Int
        var character: Int
    }

    /// Replaces `range` (start before end) with `replacement`; a range past a line's end or the document's end
    /// means that end, as LSP says.
    mutating func replace(_ start: Position, _ end: Position, with replacement: String) {
        var bytes = Array(text.utf8)
        let lower = Self.offset(of: start, in: bytes)
        let upper = max(lower, Self.offset(of: end, in: bytes))
        bytes.replaceSubrange(lower..<upper, with: Array(replacement.utf8))
        text = String(decoding: bytes, as: UTF8.self)
    }

    /// The UTF-8 offset of `position` in `bytes`.
    static func offset(of position: Position, in bytes: [UInt8]) -> Int {
        var i = 0
        var line = 0
        while line < position.line {
            guard i < bytes.count else { return bytes.count }
            if bytes[i] == 0x0A {
                line += 1
            } else if bytes[i] == 0x0D {
                line += 1
                if i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
            }
            i += 1
        }
        // Within the line: count UTF-16 units, never past its end.
        var units = 0
        while units < position.character, i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x0D {
            let lead = bytes[i]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            units += length == 4 ? 2 : 1
            i = min(i + length, bytes.count)
        }
        return i
    }
}
