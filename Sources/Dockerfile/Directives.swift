import System

/// A parser directive from the top of the file (`# syntax=…`, `# escape=…`, `# check=…`).
public struct ParserDirective: Sendable, Equatable {
    /// Lower-cased name.
    public var name: String
    public var value: String
    /// 1-based line.
    public var line: Int
    /// Where the directive's line is, for editors.
    public var range: SourceRange

    public init(name: String, value: String, line: Int, range: SourceRange? = nil) {
        self.name = name
        self.value = value
        self.line = line
        self.range = range ?? SourceRange(start: SourcePosition(line: line - 1, character: 0), end: SourcePosition(line: line - 1, character: 0))
    }
}

/// Tracks directives while the first lines are read; scanning stops at the first line that is not one.
struct DirectiveScanner {
    static let allowed: Set<String> = ["syntax", "escape", "check"]

    private(set) var parsed: [ParserDirective] = []
    private(set) var escapeToken: Unicode.Scalar = "\\"
    private var done = false
    /// True once a line that is not a directive was seen: later lines need not be scanned.
    var isDone: Bool { done }
    private var seen: Set<String> = []

    init() {}

    /// A scanner past the directives, which chose `escapeToken`.
    init(finishedWithEscapeToken escapeToken: Unicode.Scalar) {
        self.escapeToken = escapeToken
        done = true
    }

    /// Looks at one line (newline trimmed); throws for a repeated directive or a bad escape token.
    mutating func scan(_ line: Substring, lineNumber: Int) throws(EstibaError) {
        if done { return }
        guard let (key, value) = Self.match(line) else {
            done = true
            return
        }
        let k = key.lowercased()
        guard Self.allowed.contains(k) else {
            done = true
            return
        }
        if seen.contains(k) {
            throw EstibaError.dockerfile("only one \(k) parser directive can be used", startLine: lineNumber, endLine: lineNumber)
        }
        seen.insert(k)
        if k == "escape" {
            guard value == "`" || value == "\\" else {
                throw EstibaError.dockerfile("invalid escape token '\(value)' does not match ` or \\", startLine: lineNumber,
                    endLine: lineNumber)
            }
            escapeToken = value == "`" ? "`" : "\\"
        }
        parsed.append(ParserDirective(name: k, value: value, line: lineNumber))
    }

    /// `^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`
    static func match(_ line: Substring) -> (String, String)? {
        let u = Array(line.unicodeScalars)
        var i = 0
        guard i < u.count, u[i] == "#" else { return nil }
        i += 1
        while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
        let keyStart = i
        guard i < u.count, u[i].isASCII, u[i].properties.isAlphabetic else { return nil }
        while i < u.count, u[i].isASCII, u[i].properties.isAlphabetic || ("0"..."9").contains(u[i]) { i += 1 }
        let key = String(String.UnicodeScalarView(u[keyStart..<i]))
        while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
        guard i < u.count, u[i] == "=" else { return nil }
        i += 1
        while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
        var end = u.count
        while end > i, u[end - 1] == " " || u[end - 1] == "\t" { end -= 1 }
        guard end > i else { return nil }
        return (key, String(String.UnicodeScalarView(u[i..<end])))
    }
}
