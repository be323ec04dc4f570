import Dispatch
import Synchronization
import System

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
        if p.bytes.count >= parallelThreshold, processors > 1, let parsed = parseInHalves(&p, isCancelled: isCancelled) {
            return parsed
        }
        if p.run(isCancelled: isCancelled) == .finished { p.finish() }
        return p.result()
    }

    /// The same walk on one thread whatever the size (the reference the two-half parse is tested against).
    static func parseSerially(_ text: String) -> ParsedDockerfile {
        var p = ParserState(text: text)
        if p.run(isCancelled: { false }) == .finished { p.finish() }
        return p.result()
    }

    /// From this many bytes on, a file is parsed in two halves on two threads.
    static let parallelThreshold = 16 << 10
    static let processors = Machine.onlineProcessors

    /// The second half is parsed on another thread from a line where an instruction very probably starts,
    /// while this thread parses the first half up to it. If an instruction of the first half runs past that
    /// line (a heredoc body), the first half simply goes on to the end and the second is dropped.
    static func parseInHalves(_ p: inout ParserState, isCancelled: () -> Bool) -> ParsedDockerfile? {
        let escape = p.escapeTokenFromDirectives()
        guard let split = p.splitLine(escapeToken: escape) else { return nil }
        let second = ParsedHalf(ParserState(continuing: p, escapeToken: escape), from: split)
        DispatchQueue.global().async { second.runIfUnclaimed() }
        let end = p.run(stopAt: split, isCancelled: isCancelled)
        if end == .stopped {
            // Not started yet (no processor was free): parse it here rather than wait for one.
            second.runHereOrWait()
        } else {
            second.abandon()
        }
        switch end {
        case .cancelled: break
        case .finished: p.finish()
        case .stopped:
            if p.directives.escapeToken != escape {
                // Cannot happen (the directives were read the same way); parse the whole file again to be sure.
                var whole = ParserState(reading: p)
                if whole.run(isCancelled: isCancelled) == .finished { whole.finish() }
                return whole.result()
            }
            p.append(second.state)
            p.finish()
        }
        return p.result()
    }

    /// Parses like BuildKit: the first error is thrown.
    public static func parseStrict(_ text: String, file: String? = nil) throws(EstibaError) -> ParsedDockerfile {
        let r = parse(text)
        if let e = r.errors.first(where: { $0.code != "unknown-instruction" }) {
            throw EstibaError.dockerfile(e.message, startLine: e.startLine, endLine: e.endLine, file: file)
        }
        return r
    }
}

/// The parser's walk over the file. It works on the UTF-8 bytes with physical lines as byte ranges: every
/// character the line syntax depends on (newlines, the escape token, `#`, blanks) is ASCII, and Go's other
/// white space is decoded where it matters. Strings are made only for what goes into the AST.
struct ParserState {
    let bytes: [UInt8]
    /// Byte offset where each physical line starts; a line runs to the next start (or the end).
    var lineStarts: [Int] = []
    var directives = DirectiveScanner()
    var root = Node(startLine: -1)
    var ranges: [SourceRange] = []
    var diagnostics: [Diagnostic] = []

    init(text: String) {
        bytes = Array(text.utf8)
        lineStarts.reserveCapacity(bytes.count / 32 + 1)
        bytes.withUnsafeBufferPointer { buf in
            var at = 0
            while at < buf.count {
                lineStarts.append(at)
                guard let nl = ByteSearch.firstIndex(of: 0x0A, in: buf, from: at) else { break }
                at = nl + 1
            }
        }
    }

    var lineCount: Int { lineStarts.count }

    /// Physical line `index` (0-based), newline included.
    func line(_ index: Int) -> Range<Int> {
        lineStarts[index]..<(index + 1 < lineStarts.count ? lineStarts[index + 1] : bytes.count)
    }

    /// The same, without the byte order mark that may start the first line.
    func text(ofLine index: Int) -> Range<Int> {
        let r = line(index)
        guard index == 0, r.count >= 3, bytes[r.lowerBound] == 0xEF, bytes[r.lowerBound + 1] == 0xBB,
            bytes[r.lowerBound + 2] == 0xBF
        else { return r }
        return (r.lowerBound + 3)..<r.upperBound
    }

    func result() -> ParsedDockerfile {
        let located = directives.parsed.map { d in
            ParserDirective(name: d.name, value: d.value, line: d.line, range: range(d.line, d.line))
        }
        return ParsedDockerfile(
            root: root, directives: located, escapeToken: directives.escapeToken,
            diagnostics: diagnostics, ranges: ranges)
    }

    // MARK: byte helpers (all ranges are within one physical line)

    /// Runs `body` on the bytes of `r`, as a buffer of their own (offsets relative to `r.lowerBound`), so that
    /// GoText's byte helpers apply.
    func withBytes<R>(_ r: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    /// `bytes.TrimRight(s, "\r\n")`.
    func trimNewline(_ r: Range<Int>) -> Range<Int> {
        r.lowerBound..<(r.lowerBound + withBytes(r) { GoText.endBeforeNewlines($0) })
    }

    /// `strings.TrimLeftFunc(s, unicode.IsSpace)`.
    func trimLeft(_ r: Range<Int>) -> Range<Int> {
        (r.lowerBound + withBytes(r) { GoText.leftEdge($0) })..<r.upperBound
    }

    /// `strings.TrimRightFunc(s, unicode.IsSpace)`.
    func trimRight(_ r: Range<Int>) -> Range<Int> {
        r.lowerBound..<(r.lowerBound + withBytes(r) { GoText.rightEdge($0, from: 0) })
    }

    func isComment(_ r: Range<Int>) -> Bool {
        let t = trimLeft(trimNewline(r))
        return !t.isEmpty && bytes[t.lowerBound] == UInt8(ascii: "#")
    }

    func string(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    // MARK: positions

    /// Line start of `lineNumber` (1-based) after leading white space (and a BOM), as an LSP position.
    func startPosition(line lineNumber: Int) -> SourcePosition {
        guard lineNumber >= 1, lineNumber <= lineCount else { return SourcePosition(line: max(0, lineNumber - 1), character: 0) }
        let units = withBytes(line(lineNumber - 1)) { buf -> Int in
            var i = 0
            var units = 0
            while i < buf.count, let (c, n) = GoText.scalar(buf, i), GoText.isSpace(c) && c != "\n" || c == "\u{FEFF}" {
                units += c.value > 0xFFFF ? 2 : 1
                i += n
            }
            return units
        }
        return SourcePosition(line: lineNumber - 1, character: units)
    }

    /// End of `lineNumber` (1-based) before its newline, in UTF-16 units.
    func endPosition(line lineNumber: Int) -> SourcePosition {
        guard lineNumber >= 1, lineNumber <= lineCount else { return SourcePosition(line: max(0, lineNumber - 1), character: 0) }
        var units = 0
        for i in trimNewline(line(lineNumber - 1)) {
            let b = bytes[i]
            if b & 0xC0 != 0x80 { units += b >= 0xF0 ? 2 : 1 }
        }
        return SourcePosition(line: lineNumber - 1, character: units)
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

    // MARK: lines

    /// Newline trimmed, optionally left-trimmed, comments dropped (an empty range); directives are
    /// recognised on the way.
    mutating func processLine(_ raw: Range<Int>, stripLeft: Bool, lineNumber: Int) -> Range<Int> {
        var token = trimNewline(raw)
        if stripLeft { token = trimLeft(token) }
        if !directives.isDone {
            do {
                try directives.scan(Substring(string(token)), lineNumber: lineNumber)
            } catch {
                report(.error, "invalid-directive", error.message, lineNumber, lineNumber)
            }
        }
        if isComment(token) { return token.lowerBound..<token.lowerBound }
        return token
    }

    /// Removes a trailing escape token (and blanks after it); returns whether the line is complete.
    func trimContinuation(_ r: Range<Int>) -> (Range<Int>, Bool) {
        let e = UInt8(truncatingIfNeeded: directives.escapeToken.value)
        var end = r.upperBound
        while end > r.lowerBound, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard end > r.lowerBound else { return (r, true) }
        let esc = end - 1
        guard bytes[esc] == e else { return (r, true) }
        if esc == r.lowerBound { return (r.lowerBound..<r.lowerBound, false) }
        if bytes[esc - 1] == e { return (r, true) }
        return (r.lowerBound..<esc, false)
    }

    /// How a walk over the lines ended.
    enum WalkEnd: Equatable {
        /// Every line was read.
        case finished
        /// Stopped at the requested instruction boundary.
        case stopped
        case cancelled
    }

    /// Walks the lines from `first` (a line where an instruction starts, with nothing pending). With
    /// `stopAt`, stops when an instruction ends exactly there; if an instruction runs past it, the walk goes on
    /// to the end.
    mutating func run(from first: Int = 0, stopAt: Int? = nil, isCancelled: () -> Bool) -> WalkEnd {
        var idx = first
        var currentLine = first
        var comments: [String] = []
        var nextCancelCheck = first + 4096
        var joined: [UInt8] = []
        while idx < lineCount {
            if idx == stopAt, comments.isEmpty { return .stopped }
            if idx >= nextCancelCheck {
                if isCancelled() { return .cancelled }
                nextCancelCheck = idx + 4096
            }
            let raw = text(ofLine: idx)
            idx += 1
            if raw.count > DockerfileParser.maxLineLength + 1
                || (raw.count > DockerfileParser.maxLineLength && bytes[raw.upperBound - 1] != UInt8(ascii: "\n"))
            {
                report(
                    .error, "line-too-long",
                    "dockerfile line greater than max allowed size of \(DockerfileParser.maxLineLength)",
                    currentLine + 1, currentLine + 1)
                currentLine += 1
                continue
            }
            if isComment(raw) {
                let t = trimLeft(trimNewline(raw))
                let c = trimRight(trimLeft((t.lowerBound + 1)..<t.upperBound))
                if c.isEmpty { comments = [] } else { comments.append(string(c)) }
            }
            let processed = processLine(raw, stripLeft: true, lineNumber: currentLine + 1)
            currentLine += 1
            let startLine = currentLine
            let (first, firstIsEnd) = trimContinuation(processed)
            var isEnd = firstIsEnd
            if isEnd, first.isEmpty { continue }
            joined.removeAll(keepingCapacity: true)
            joined.append(contentsOf: bytes[first])
            var hasEmptyContinuation = false
            while !isEnd, idx < lineCount {
                let next = line(idx)
                idx += 1
                let p = processLine(next, stripLeft: false, lineNumber: currentLine + 1)
                currentLine += 1
                if isComment(next) { continue }
                if trimLeft(p).isEmpty {
                    hasEmptyContinuation = true
                    continue
                }
                let (cont, end) = trimContinuation(p)
                isEnd = end
                joined.append(contentsOf: bytes[cont])
            }
            let text = String(decoding: joined, as: UTF8.self)
            if hasEmptyContinuation {
                report(
                    .warning, "no-empty-continuation", "Empty continuation line found in: \(text)", startLine,
                    currentLine)
            }
            var child: Node
            do {
                child = try InstructionParser(escapeToken: directives.escapeToken).node(fromLine: text)
            } catch {
                report(.error, "syntax-error", error.message, startLine, currentLine)
                comments = []
                continue
            }
            child.prevComment = comments
            let keyword = InstructionKeyword(child.value)
            if Heredocs.canContain(child, keyword: keyword), Heredocs.mayOpen(joined) {
                do throws(EstibaError) {
                    var docs = try Heredocs.fromLine(text)
                    for d in docs.indices {
                        var terminated = false
                        var content: [UInt8] = []
                        let name = Array(docs[d].name.utf8)
                        while idx < lineCount {
                            let body = line(idx)
                            idx += 1
                            currentLine += 1
                            var candidate = trimNewline(body)
                            if docs[d].chomp {
                                var a = candidate.lowerBound
                                while a < candidate.upperBound, bytes[a] == 0x09 { a += 1 }
                                candidate = a..<candidate.upperBound
                            }
                            if bytes[candidate].elementsEqual(name) {
                                terminated = true
                                break
                            }
                            content.append(contentsOf: bytes[body])
                        }
                        docs[d].content = String(decoding: content, as: UTF8.self)
                        if !terminated { throw EstibaError.dockerfile("unterminated heredoc", startLine: startLine, endLine: currentLine) }
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
            if keyword == nil {
                report(.error, "unknown-instruction", "unknown instruction: \(child.value)", startLine, currentLine)
            }
            comments = []
        }
        return .finished
    }

    /// The diagnostic for a file without instructions, once the whole file was read.
    mutating func finish() {
        if root.startLine < 0, !diagnostics.contains(where: { $0.severity == .error }) {
            report(.error, "no-instructions", "file with no instructions", max(lineCount, 1), max(lineCount, 1))
        }
    }

    // MARK: parsing in two halves

    /// A state for the lines of `other` from some line on, with the directives (read at the top) already known.
    init(continuing other: ParserState, escapeToken: Unicode.Scalar) {
        // Copies of its own: two threads retaining and releasing one buffer would contend for its count.
        bytes = other.bytes.withUnsafeBufferPointer { Array($0) }
        lineStarts = other.lineStarts.withUnsafeBufferPointer { Array($0) }
        directives = DirectiveScanner(finishedWithEscapeToken: escapeToken)
    }

    /// A fresh state for the same text as `other`.
    init(reading other: ParserState) {
        bytes = other.bytes
        lineStarts = other.lineStarts
    }

    /// The escape token the directives at the top of the file choose (what the walk will find there).
    func escapeTokenFromDirectives() -> Unicode.Scalar {
        var scanner = DirectiveScanner()
        var idx = 0
        while idx < lineCount, !scanner.isDone {
            let raw = text(ofLine: idx)
            idx += 1
            if raw.count > DockerfileParser.maxLineLength { continue }
            try? scanner.scan(Substring(string(trimLeft(trimNewline(raw)))), lineNumber: idx)
        }
        return scanner.escapeToken
    }

    /// A line near the middle that very probably starts an instruction with nothing pending before it: the
    /// line before is a complete, non-comment line and this one starts with a letter. (A heredoc body can
    /// look like that too; the first half's walk then runs past it and the second half is not used.)
    func splitLine(escapeToken: Unicode.Scalar) -> Int? {
        let esc = UInt8(truncatingIfNeeded: escapeToken.value)
        var k = max(1, lineCount / 2)
        let limit = min(lineCount, k + 256)
        while k < limit {
            let before = trimLeft(trimNewline(line(k - 1)))
            var end = before.upperBound
            while end > before.lowerBound, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            let here = trimLeft(trimNewline(line(k)))
            if end > before.lowerBound, bytes[before.lowerBound] != UInt8(ascii: "#"), bytes[end - 1] != esc,
                !here.isEmpty, (bytes[here.lowerBound] | 0x20) >= UInt8(ascii: "a"),
                (bytes[here.lowerBound] | 0x20) <= UInt8(ascii: "z")
            {
                return k
            }
            k += 1
        }
        return nil
    }

    /// Appends the instructions and diagnostics of the half that follows this one.
    mutating func append(_ next: ParserState) {
        if root.startLine < 0 { root.startLine = next.root.startLine }
        if next.root.endLine > 0 { root.endLine = next.root.endLine }
        root.children.append(contentsOf: next.root.children)
        ranges.append(contentsOf: next.ranges)
        diagnostics.append(contentsOf: next.diagnostics)
    }
}

/// One half of a file parsed on another thread.
/// The second half of a file, parsed by whichever thread claims it first: a worker, or the thread that
/// parsed the first half (so that it never waits for a worker that has not started).
private final class ParsedHalf: @unchecked Sendable {  // `state` is written by the claiming thread only, read after `done`
    var state: ParserState
    let firstLine: Int
    /// 0: unclaimed, 1: claimed by the worker, 2: claimed by the caller.
    private let claim = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init(_ state: ParserState, from firstLine: Int) {
        self.state = state
        self.firstLine = firstLine
    }

    /// The worker's side.
    func runIfUnclaimed() {
        guard claim.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        _ = state.run(from: firstLine, isCancelled: { false })
        done.signal()
    }

    /// The caller's side, when it needs the half: runs it unless the worker has it, then waits for the worker.
    func runHereOrWait() {
        if claim.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged {
            _ = state.run(from: firstLine, isCancelled: { false })
        } else {
            done.wait()
        }
    }

    /// The caller's side, when the half is not needed: a worker that has not started will not; one that has
    /// finishes on its own (it works on its own copy of the text) and its result is dropped.
    func abandon() {
        _ = claim.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing)
    }
}
