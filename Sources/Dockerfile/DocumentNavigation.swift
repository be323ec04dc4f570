/// Where stage names and variables are declared and used: definition, references, highlights and rename.
extension DocumentQuery {
    /// A name that can be followed through the document.
    public enum Symbol: Sendable, Equatable {
        /// A stage (lower-cased, as BuildKit matches them).
        case stage(String)
        /// A variable, in a stage (nil: the global ARGs before the first FROM, and FROM lines).
        case variable(String, stage: Int?)
    }

    /// One place a symbol appears: the name's own range, and whether it declares it.
    public struct Occurrence: Sendable, Equatable {
        public var range: SourceRange
        public var isDeclaration: Bool
    }

    /// The symbol at `position`, if any.
    public func symbol(at position: SourcePosition) -> Symbol? {
        allOccurrences().first { o in
            let r = o.occurrence.range
            return r.start.line == position.line && r.start.character <= position.character && position.character <= r.end.character
        }?.symbol
    }

    /// Every occurrence of `symbol`, in document order.
    public func occurrences(of symbol: Symbol) -> [Occurrence] {
        allOccurrences().filter { $0.symbol == symbol }.map(\.occurrence)
    }

    /// Where `symbol` is declared (its first declaration).
    public func definition(of symbol: Symbol) -> SourceRange? {
        occurrences(of: symbol).first { $0.isDeclaration }?.range
    }

    /// The stage whose variables instruction `i` sees (nil: global, for ARGs before the first FROM and FROM lines).
    func variableStage(_ i: Int) -> Int? {
        guard InstructionKeyword(analysis.parsed.instructions[i].value) != .from,
            analysis.stageOfInstruction.indices.contains(i)
        else { return nil }
        return analysis.stageOfInstruction[i]
    }

    /// Every stage name and variable occurrence of the document.
    func allOccurrences() -> [(symbol: Symbol, occurrence: Occurrence)] {
        var out: [(Symbol, Occurrence)] = []
        let parsed = analysis.parsed
        for i in parsed.instructions.indices {
            let r = parsed.ranges[i]
            let keyword = InstructionKeyword(parsed.instructions[i].value)
            let stage = variableStage(i)
            let head = head(i)
            // Stage names: FROM … AS name, FROM name, --from=name.
            if keyword == .from {
                if head.rest.count >= 3 {
                    let w = head.rest[2]
                    out.append((.stage(w.text.lowercased()), Occurrence(range: range(r.start.line, w.start, w.end), isDeclaration: true)))
                }
                if let image = head.rest.first, stageNames(before: i).contains(image.text.lowercased()) {
                    out.append((.stage(image.text.lowercased()), Occurrence(range: range(r.start.line, image.start, image.end), isDeclaration: false)))
                }
            }
            for f in head.flags where f.text.hasPrefix("--from=") && f.text.count > 7 {
                let name = String(f.text.dropFirst(7)).lowercased()
                if stageNames(before: i).contains(name) {
                    out.append((.stage(name), Occurrence(range: range(r.start.line, f.start + 7, f.end), isDeclaration: false)))
                }
            }
            // Variable declarations: ARG NAME[=v], ENV NAME=v or ENV NAME v.
            if keyword == .arg || keyword == .env {
                var declared: [(text: String, start: Int, end: Int, line: Int)] = []
                for line in r.start.line...r.end.line {
                    var w = words(line)
                    if line == r.start.line { w = Array(w.dropFirst(1 + head.flags.count)) }
                    for word in w { declared.append((word.text, word.start, word.end, line)) }
                }
                let legacyEnv = keyword == .env && !(declared.first?.text.contains("=") ?? true)
                for (k, word) in declared.enumerated() where word.text != "\\\\" {
                    if legacyEnv, k > 0 { break }
                    let name = word.text.prefix { $0 != "=" }
                    guard !name.isEmpty, name.utf16.allSatisfy(Self.isNameUnit) else { continue }
                    let end = word.start + name.utf16.count
                    out.append((.variable(String(name), stage: stage), Occurrence(range: range(word.line, word.start, end), isDeclaration: true)))
                }
            }
            // Variable uses: $NAME and ${NAME…} on every line of the instruction.
            for line in r.start.line...r.end.line {
                for reference in variableReferences(line) {
                    out.append(
                        (.variable(reference.name, stage: stage), Occurrence(range: range(line, reference.start, reference.end), isDeclaration: false)))
                }
            }
        }
        return out
    }

    /// The `$NAME` / `${NAME…}` references of a line: each name, the name's own UTF-16 span, and the whole
    /// reference's (from `$` to the closing brace).
    func variableReferences(_ line: Int) -> [(name: String, start: Int, end: Int, spanStart: Int, spanEnd: Int)] {
        guard lines.indices.contains(line) else { return [] }
        let units = lines[line]
        var out: [(String, Int, Int, Int, Int)] = []
        var k = 0
        while k < units.count {
            guard units[k] == 0x24, k + 1 < units.count else {
                k += 1
                continue
            }
            let braced = units[k + 1] == 0x7B
            let nameStart = braced ? k + 2 : k + 1
            var end = nameStart
            while end < units.count, Self.isNameUnit(units[end]) { end += 1 }
            guard end > nameStart else {
                k += 1
                continue
            }
            var close = end
            if braced {
                while close < units.count, units[close] != 0x7D { close += 1 }
                close = min(close + 1, units.count)
            }
            out.append((String(decoding: units[nameStart..<end], as: UTF16.self), nameStart, end, k, close))
            // Go on after the name: `${A:-$B}` also uses B.
            k = end
        }
        return out
    }
}

extension DocumentQuery {
    /// A COPY or ADD source read from the build context: its path as written and where it is.
    public struct ContextSource: Sendable, Equatable {
        public var keyword: InstructionKeyword
        public var path: String
        public var range: SourceRange
    }

    /// The plain sources COPY and ADD read from the context (not from another stage or image, not URLs, not
    /// here-documents, and without variables or wildcards, which only the build resolves).
    public func contextSources() -> [ContextSource] {
        var out: [ContextSource] = []
        let instructions = analysis.parsed.instructions
        for i in instructions.indices {
            let named = InstructionKeyword(instructions[i].value)
            guard named == .copy || named == .add else { continue }
            let node = instructions[i]
            let head = head(i)
            guard let keyword = head.keyword, keyword == .copy || keyword == .add else { continue }
            guard !head.flags.contains(where: { $0.text.hasPrefix("--from=") }) else { continue }
            guard !node.isJSON, node.heredocs.isEmpty, head.rest.count >= 2 else { continue }
            let line = analysis.parsed.ranges[i].start.line
            for word in head.rest.dropLast() {
                let p = word.text
                if !Self.isPlainPath(p) { continue }
                out.append(ContextSource(keyword: keyword, path: p, range: range(line, word.start, word.end)))
            }
        }
        return out
    }

    /// Whether a COPY/ADD source is a plain path: not a URL or git address, without variables, wildcards or escapes.
    static func isPlainPath(_ p: String) -> Bool {
        if p.hasPrefix("git@") { return false }
        var (beforeLast, last): (UInt8, UInt8) = (0, 0)
        for byte in p.utf8 {
            switch byte {
            case UInt8(ascii: "$"), UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "\\"): return false
            case UInt8(ascii: "/") where beforeLast == UInt8(ascii: ":") && last == UInt8(ascii: "/"): return false
            default: break
            }
            (beforeLast, last) = (last, byte)
        }
        return true
    }

    /// `COPY --from=NAME` naming neither an earlier stage nor a stage index: the build takes it as an image.
    public func stageReferenceDiagnostics() -> [Diagnostic] {
        var out: [Diagnostic] = []
        let instructions = analysis.parsed.instructions
        for i in instructions.indices where InstructionKeyword(instructions[i].value) == .copy {
            // Only a COPY with --from= (the words of its line are read only then).
            guard instructions[i].flags.contains(where: { $0.hasPrefix("--from=") }) else { continue }
            let head = head(i)
            guard head.keyword == .copy else { continue }
            let line = analysis.parsed.ranges[i].start.line
            for f in head.flags where f.text.hasPrefix("--from=") {
                let name = String(f.text.dropFirst(7))
                let earlier = stageNames(before: i)
                guard !name.isEmpty, !name.contains("$"), !earlier.contains(name.lowercased()), Int(name) == nil else { continue }
                // An image reference has a tag, a digest or a registry; a bare word was probably meant as a stage.
                guard !name.contains(":"), !name.contains("/"), !name.contains("@") else { continue }
                let suggestion = NameSuggestion.closest(to: name, among: earlier).map { " (did you mean \($0)?)" } ?? ""
                let r = range(line, f.start + 7, f.end)
                out.append(
                    Diagnostic(
                        severity: .warning, range: r, code: "unknown-stage",
                        message: "No stage named \(GoText.quote(name)) before this line\(suggestion); the build takes it as an image.",
                        startLine: line + 1, endLine: line + 1))
            }
        }
        return out
    }
}
