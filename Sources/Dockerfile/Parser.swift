/// The result of parsing a Dockerfile: BuildKit's AST plus everything an editor needs.
public struct ParsedDockerfile: Sendable {
    /// Root node; its `children` are the instructions in order.
    public var root: Node
    public var directives: [ParserDirective]
    public var escapeToken: Unicode.Scalar
    /// Errors and warnings in source order.
    public var diagnostics: [Diagnostic]
    /// The source range of each instruction in `root.children` (same order).
    public var ranges: [SourceRange]

    public var instructions: [Node] { root.children }
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// BuildKit's dump of the whole file (what the parser corpus `result` files contain).
    public func dump() -> String { root.dump() + "\n" }
}

/// A Dockerfile parser that is byte-compatible with BuildKit's `frontend/dockerfile/parser`.
public enum DockerfileParser {
    /// Longest physical line BuildKit accepts.
    public static let maxLineLength = 65535

    /// Parses tolerantly: each problem becomes a diagnostic and parsing goes on with the next instruction.
    /// `isCancelled` is polled every few thousand lines; when it returns true parsing stops early and the
    /// result holds what was read so far.
    public static func parse(_ text: String, isCancelled: () -> Bool = { false }) -> ParsedDockerfile {
        var p = ParserState(text: text)
        p.run(isCancelled: isCancelled)
        return p.result()
    }

    /// Parses like BuildKit: the first error is thrown.
    public static func parseStrict(_ text: String, file: String? = nil) throws(DockerfileSyntaxError) -> ParsedDockerfile {
        let r = parse(text)
        if let e = r.errors.first(where: { $0.code != "unknown-instruction" }) {
            throw DockerfileSyntaxError(message: e.message, startLine: e.startLine, endLine: e.endLine, file: file)
        }
        return r
    }
}

/// One physical line: its text including the newline, and where it starts in UTF-16 units (for ranges).
struct PhysicalLine {
    var text: Substring
    /// UTF-16 length of the line without its trailing CR/LF.
    var utf16Length: Int
}

struct ParserState {
    var lines: [PhysicalLine] = []
    var directives = DirectiveScanner()
    var root = Node(startLine: -1)
    var ranges: [SourceRange] = []
    var diagnostics: [Diagnostic] = []

    init(text: String) {
        var start = text.startIndex
        let utf8 = text.utf8
        var i = utf8.startIndex
        while i < utf8.endIndex {
            if utf8[i] == UInt8(ascii: "\n") {
                let end = utf8.index(after: i)
                lines.append(Self.physical(text[start..<end]))
                start = end
            }
            i = utf8.index(after: i)
        }
        if start < text.endIndex { lines.append(Self.physical(text[start...])) }
    }

    static func physical(_ s: Substring) -> PhysicalLine {
        PhysicalLine(text: s, utf16Length: GoText.trimNewline(s).utf16.count)
    }

    func result() -> ParsedDockerfile {
        let located = directives.parsed.map { d in
            ParserDirective(name: d.name, value: d.value, line: d.line, range: range(d.line, d.line))
        }
        return ParsedDockerfile(
            root: root, directives: located, escapeToken: directives.escapeToken,
            diagnostics: diagnostics, ranges: ranges)
    }

    static func isComment(_ line: Substring) -> Bool {
        GoText.trimLeft(GoText.trimNewline(line)).unicodeScalars.first == "#"
    }

    /// Line start of `lineNumber` (1-based) after leading whitespace, as an LSP position.
    func startPosition(line lineNumber: Int) -> SourcePosition {
        guard lineNumber >= 1, lineNumber <= lines.count else { return SourcePosition(line: max(0, lineNumber - 1), character: 0) }
        let text = lines[lineNumber - 1].text
        let lead = text.unicodeScalars.prefix { GoText.isSpace($0) && $0 != "\n" || $0 == "\u{FEFF}" }
        return SourcePosition(line: lineNumber - 1, character: String(String.UnicodeScalarView(lead)).utf16.count)
    }

    func endPosition(line lineNumber: Int) -> SourcePosition {
        guard lineNumber >= 1, lineNumber <= lines.count else { return SourcePosition(line: max(0, lineNumber - 1), character: 0) }
        return SourcePosition(line: lineNumber - 1, character: lines[lineNumber - 1].utf16Length)
    }

    func range(_ startLine: Int, _ endLine: Int) -> SourceRange {
        SourceRange(start: startPosition(line: startLine), end: endPosition(line: max(startLine, endLine)))
    }

    mutating func report(
        _ severity: DiagnosticSeverity, _ code: String, _ message: String, _ startLine: Int, _ endLine: Int
    ) {
        diagnostics.append(
            Diagnostic(
                severity: severity, range: range(startLine, endLine), code: code, message: message,
                startLine: startLine, endLine: endLine))
    }

    /// Newline trimmed, optionally left-trimmed, comments dropped; directives are recognised on the way.
    mutating func processLine(_ raw: Substring, stripLeft: Bool, lineNumber: Int) -> Substring {
        var token = GoText.trimNewline(raw)
        if stripLeft { token = GoText.trimLeft(token) }
        do {
            try directives.scan(token, lineNumber: lineNumber)
        } catch {
            report(.error, "invalid-directive", error.message, lineNumber, lineNumber)
        }
        if Self.isComment(token) { return "" }
        return token
    }

    /// Removes a trailing escape token (and blanks after it); returns whether the line is complete.
    func trimContinuation(_ line: Substring) -> (Substring, Bool) {
        let e = directives.escapeToken
        let u = line.unicodeScalars
        var end = u.endIndex
        while end > u.startIndex {
            let p = u.index(before: end)
            if u[p] == " " || u[p] == "\t" { end = p } else { break }
        }
        guard end > u.startIndex else { return (line, true) }
        let escIndex = u.index(before: end)
        guard u[escIndex] == e else { return (line, true) }
        if escIndex == u.startIndex { return ("", false) }
        let before = u.index(before: escIndex)
        if u[before] == e { return (line, true) }
        return (Substring(u[..<escIndex]), false)
    }

    mutating func run(isCancelled: () -> Bool) {
        var idx = 0
        var currentLine = 0
        var comments: [String] = []
        var nextCancelCheck = 4096
        while idx < lines.count {
            if idx >= nextCancelCheck {
                if isCancelled() { return }
                nextCancelCheck = idx + 4096
            }
            var raw = lines[idx].text
            idx += 1
            if currentLine == 0, raw.unicodeScalars.first == "\u{FEFF}" {
                raw = Substring(raw.unicodeScalars.dropFirst())
            }
            if raw.utf8.count > DockerfileParser.maxLineLength + 1
                || (raw.utf8.count > DockerfileParser.maxLineLength && raw.utf8.last != UInt8(ascii: "\n"))
            {
                report(
                    .error, "line-too-long",
                    "dockerfile line greater than max allowed size of \(DockerfileParser.maxLineLength)",
                    currentLine + 1, currentLine + 1)
                currentLine += 1
                continue
            }
            if Self.isComment(raw) {
                let c = GoText.trimSpace(GoText.trimLeft(GoText.trimNewline(raw)).dropFirst())
                if c.isEmpty { comments = [] } else { comments.append(String(c)) }
            }
            let processed = processLine(raw, stripLeft: true, lineNumber: currentLine + 1)
            currentLine += 1
            let startLine = currentLine
            var (line, isEnd) = trimContinuation(processed)
            if isEnd, line.isEmpty { continue }
            var joined = String(line)
            var hasEmptyContinuation = false
            while !isEnd, idx < lines.count {
                let next = lines[idx].text
                idx += 1
                let p = processLine(next, stripLeft: false, lineNumber: currentLine + 1)
                currentLine += 1
                if Self.isComment(next) { continue }
                if GoText.trimLeft(p).isEmpty {
                    hasEmptyContinuation = true
                    continue
                }
                let (cont, end) = trimContinuation(p)
                isEnd = end
                joined += cont
            }
            if hasEmptyContinuation {
                report(
                    .warning, "no-empty-continuation", "Empty continuation line found in: \(joined)", startLine,
                    currentLine)
            }
            var child: Node
            do {
                child = try InstructionParser(escapeToken: directives.escapeToken).node(fromLine: joined)
            } catch {
                report(.error, "syntax-error", error.message, startLine, currentLine)
                comments = []
                continue
            }
            child.prevComment = comments
            if Heredocs.canContain(child), Heredocs.mayOpen(joined) {
                do throws(DockerfileSyntaxError) {
                    var docs = try Heredocs.fromLine(joined)
                    for d in docs.indices {
                        var terminated = false
                        while idx < lines.count {
                            let body = lines[idx].text
                            idx += 1
                            currentLine += 1
                            var candidate = GoText.trimNewline(body)
                            if docs[d].chomp { candidate = Substring(candidate.unicodeScalars.drop { $0 == "\t" }) }
                            if candidate == docs[d].name {
                                terminated = true
                                break
                            }
                            docs[d].content += body
                        }
                        if !terminated { throw DockerfileSyntaxError(message: "unterminated heredoc", startLine: startLine, endLine: currentLine) }
                    }
                    child.heredocs = docs
                } catch {
                    report(.error, "syntax-error", error.message, startLine, currentLine)
                    comments = []
                    continue
                }
            }
            child.startLine = startLine
            child.endLine = currentLine
            if root.startLine < 0 { root.startLine = startLine }
            root.endLine = currentLine
            root.children.append(child)
            ranges.append(range(startLine, currentLine))
            if !InstructionParser.known.contains(child.value.lowercased()) {
                report(.error, "unknown-instruction", "unknown instruction: \(child.value)", startLine, currentLine)
            }
            comments = []
        }
        if root.startLine < 0, !diagnostics.contains(where: { $0.severity == .error }) {
            report(.error, "no-instructions", "file with no instructions", max(currentLine, 1), max(currentLine, 1))
        }
    }
}
