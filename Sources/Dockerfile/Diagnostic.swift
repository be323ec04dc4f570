/// A position in a Dockerfile: 0-based line and UTF-16 character offset, as in LSP.
public struct SourcePosition: Sendable, Equatable, Comparable {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.character) < (b.line, b.character)
    }
}

/// A half-open span of source text.
public struct SourceRange: Sendable, Equatable {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }
}

public enum DiagnosticSeverity: String, Sendable {
    case error, warning, information, hint
}

/// A problem found in a Dockerfile, located precisely enough for an editor to underline it.
public struct Diagnostic: Sendable, Equatable {
    public var severity: DiagnosticSeverity
    public var range: SourceRange
    /// A stable identifier: Estiba's ("syntax-error", "unknown-instruction", …) or the name of one of
    /// BuildKit's build checks ("JSONArgsRecommended", "UndefinedVar", …).
    public var code: String
    public var message: String
    /// 1-based physical lines, as BuildKit reports them.
    public var startLine: Int
    public var endLine: Int

    public init(
        severity: DiagnosticSeverity, range: SourceRange, code: String, message: String, startLine: Int, endLine: Int
    ) {
        self.severity = severity
        self.range = range
        self.code = code
        self.message = message
        self.startLine = startLine
        self.endLine = endLine
    }
}

