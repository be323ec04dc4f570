/// Questions an editor asks about a Dockerfile's text at a position: what is there (a keyword, a flag, a
/// variable, a base image, a stage), which variables are in scope, what may be typed there, and the outline.
/// Positions are LSP's (0-based lines, UTF-16 characters).
public struct DocumentQuery: Sendable {
    public let analysis: DockerfileAnalysis
    /// The physical lines, as UTF-16 code units.
    let lines: TextLines
    /// For each line, the instruction whose lines include it.
    let instructionOfLine: [Int?]

    public init(text: String, analysis: DockerfileAnalysis) {
        self.analysis = analysis
        let lines = TextLines(text)
        self.lines = lines
        var byLine = [Int?](repeating: nil, count: lines.count)
        for (i, r) in analysis.parsed.ranges.enumerated() where r.start.line < lines.count {
            for line in r.start.line...min(r.end.line, lines.count - 1) where byLine[line] == nil { byLine[line] = i }
        }
        instructionOfLine = byLine
    }

    /// What a position is on.
    public enum Target: Sendable, Equatable {
        case keyword(InstructionKeyword, SourceRange)
        case flag(String, InstructionKeyword, SourceRange)
        /// A `$NAME` or `${NAME…}` reference in instruction `instruction`.
        case variable(String, instruction: Int, SourceRange)
        /// FROM's image, when it names no earlier stage.
        case baseImage(String, SourceRange)
        /// A stage named in FROM or `--from=`.
        case stage(String, SourceRange)
        /// A COPY or ADD source read from the build context (see `contextSources`).
        case contextSource(String, InstructionKeyword, SourceRange)
    }

    /// A variable in scope, and where it was set.
    public struct Variable: Sendable, Equatable {
        public var name: String
        /// Its value as written (nil: an ARG without a default).
        public var value: String?
        public var keyword: InstructionKeyword
        /// The 0-based line that set it.
        public var line: Int
    }

    /// The instruction whose lines include `line`.
    public func instruction(at line: Int) -> Int? {
        instructionOfLine.indices.contains(line) ? instructionOfLine[line] : nil
    }

    /// The words of a line with their UTF-16 spans.
    func words(_ line: Int) -> [(text: String, start: Int, end: Int)] {
        guard lines.indices.contains(line) else { return [] }
        let units = lines[line]
        var out: [(String, Int, Int)] = []
        var i = 0
        while i < units.count {
            while i < units.count, units[i] == 0x20 || units[i] == 0x09 { i += 1 }
            let start = i
            while i < units.count, units[i] != 0x20, units[i] != 0x09 { i += 1 }
            if i > start { out.append((Self.string(units[start..<i]), start, i)) }
        }
        return out
    }

    /// The text of UTF-16 code units; ASCII (nearly every Dockerfile word) without the general decoder.
    static func string(_ units: ArraySlice<UInt16>) -> String {
        guard units.allSatisfy({ $0 < 0x80 }) else { return String(decoding: units, as: UTF16.self) }
        return String(unsafeUninitializedCapacity: units.count) { buffer in
            for (k, unit) in units.enumerated() { buffer[k] = UInt8(truncatingIfNeeded: unit) }
            return units.count
        }
    }

    func range(_ line: Int, _ start: Int, _ end: Int) -> SourceRange {
        SourceRange(start: SourcePosition(line: line, character: start), end: SourcePosition(line: line, character: end))
    }

    /// The keyword of instruction `i` and its flags' words (those before its first argument, on its first line).
    func head(_ i: Int) -> (keyword: InstructionKeyword?, keywordWord: (text: String, start: Int, end: Int)?, flags: [(text: String, start: Int, end: Int)], rest: [(text: String, start: Int, end: Int)]) {
        let line = analysis.parsed.ranges[i].start.line
        let w = words(line)
        guard let first = w.first else { return (nil, nil, [], []) }
        var flags: [(String, Int, Int)] = []
        var k = 1
        while k < w.count, w[k].text.hasPrefix("--") {
            flags.append(w[k])
            k += 1
        }
        return (InstructionKeyword(first.text), first, flags, Array(w[k...]))
    }

    /// The stage names declared before instruction `i` (all of them when nil).
    public func stageNames(before i: Int? = nil) -> [String] {
        analysis.stages.filter { i == nil || $0.firstInstruction < i! }.compactMap(\.name)
    }

    /// What `position` is on, if anything an editor can explain.
    public func target(at position: SourcePosition) -> Target? {
        guard let i = instruction(at: position.line) else { return nil }
        let c = position.character
        if let variable = variable(at: position, instruction: i) { return variable }
        let head = head(i)
        guard position.line == analysis.parsed.ranges[i].start.line, let keyword = head.keyword else { return nil }
        if let k = head.keywordWord, k.start <= c, c < k.end { return .keyword(keyword, range(position.line, k.start, k.end)) }
        for f in head.flags where f.start <= c && c < f.end {
            let name = String(f.text.dropFirst(2).prefix { $0 != "=" })
            if name == "from", let eq = f.text.firstIndex(of: "="), c > f.start + 2 + name.utf16.count {
                let value = String(f.text[f.text.index(after: eq)...])
                return .stage(value, range(position.line, f.start + 7, f.end))
            }
            return .flag(name, keyword, range(position.line, f.start, f.end))
        }
        if let source = contextSources().first(where: { $0.range.start.line == position.line && $0.range.start.character <= c && c < $0.range.end.character }) {
            return .contextSource(source.path, source.keyword, source.range)
        }
        if keyword == .from, let image = head.rest.first, image.start <= c, c < image.end {
            let r = range(position.line, image.start, image.end)
            return stageNames(before: i).contains(image.text.lowercased()) ? .stage(image.text.lowercased(), r) : .baseImage(image.text, r)
        }
        return nil
    }

    /// A `$NAME` / `${NAME…}` reference under `position`.
    func variable(at position: SourcePosition, instruction i: Int) -> Target? {
        for reference in variableReferences(position.line) where reference.spanStart <= position.character && position.character < reference.spanEnd {
            return .variable(reference.name, instruction: i, range(position.line, reference.spanStart, reference.spanEnd))
        }
        return nil
    }

    static func isNameUnit(_ u: UInt16) -> Bool {
        (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x61 && u <= 0x7A) || u == 0x5F
    }

    /// The variables in scope at instruction `i`: for a FROM (or before any), the ARGs declared before the first
    /// FROM; inside a stage, its ARGs (a redeclared global ARG keeps the global default) and ENVs before `i`, the
    /// latest of each name.
    public func variables(at i: Int) -> [Variable] {
        let instructions = analysis.parsed.instructions
        var global: [String: Variable] = [:]
        let firstFrom = analysis.stages.first?.firstInstruction ?? instructions.count
        for k in 0..<min(firstFrom, instructions.count) where InstructionKeyword(instructions[k].value) == .arg {
            for v in argDeclarations(k) { global[v.name] = v }
        }
        guard let stageIndex = analysis.stageOfInstruction.indices.contains(i) ? analysis.stageOfInstruction[i] : nil,
            InstructionKeyword(instructions[i].value) != .from
        else { return global.values.sorted { $0.name < $1.name } }
        var scope: [String: Variable] = [:]
        let stage = analysis.stages[stageIndex]
        for k in stage.firstInstruction..<i {
            switch InstructionKeyword(instructions[k].value) {
            case .arg:
                for var v in argDeclarations(k) {
                    if v.value == nil, let g = global[v.name] { v.value = g.value }
                    scope[v.name] = v
                }
            case .env:
                let next = instructions[k].next
                var j = 0
                while j + 1 < next.count {
                    scope[next[j].value] = Variable(name: next[j].value, value: next[j + 1].value, keyword: .env, line: analysis.parsed.ranges[k].start.line)
                    j += 3
                }
            default: break
            }
        }
        return scope.values.sorted { $0.name < $1.name }
    }

    func argDeclarations(_ k: Int) -> [Variable] {
        let line = analysis.parsed.ranges[k].start.line
        return analysis.parsed.instructions[k].next.map { word in
            let text = word.value
            guard let eq = text.firstIndex(of: "=") else { return Variable(name: text, value: nil, keyword: .arg, line: line) }
            return Variable(name: String(text[..<eq]), value: String(text[text.index(after: eq)...]), keyword: .arg, line: line)
        }
    }
}
