/// A Dockerfile's outline: its stages with their instructions (the global ARGs before them), and the ranges an
/// editor may fold (stages, instructions over several lines, runs of comment lines).
public struct OutlineSymbol: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case stage, instruction, variable
    }

    public var name: String
    public var detail: String?
    public var kind: Kind
    public var range: SourceRange
    /// The part to highlight when it is chosen (the keyword, or the stage's name).
    public var selectionRange: SourceRange
    public var children: [OutlineSymbol]
}

public struct FoldingRegion: Sendable, Equatable {
    public var startLine: Int
    public var endLine: Int
    public var isComment: Bool
}

extension DocumentQuery {
    /// The outline.
    public func outline() -> [OutlineSymbol] {
        let parsed = analysis.parsed
        func symbol(_ i: Int) -> OutlineSymbol {
            let node = parsed.instructions[i]
            let r = parsed.ranges[i]
            let head = head(i)
            let keyword = head.keywordWord.map { range(r.start.line, $0.start, $0.end) } ?? r
            let text = node.original.split(separator: "\n").first.map(String.init) ?? node.original
            let name = text.count > 80 ? String(text.prefix(79)) + "…" : text
            let isArg = InstructionKeyword(node.value) == .arg
            return OutlineSymbol(name: name, detail: nil, kind: isArg ? .variable : .instruction, range: r, selectionRange: keyword, children: [])
        }
        let firstFrom = analysis.stages.first?.firstInstruction ?? parsed.instructions.count
        var out = (0..<min(firstFrom, parsed.instructions.count)).map(symbol)
        for stage in analysis.stages {
            let first = parsed.ranges[stage.firstInstruction]
            let last = parsed.ranges[min(stage.lastInstruction, parsed.ranges.count - 1)]
            let name = stage.name ?? "stage \(stage.index)"
            out.append(
                OutlineSymbol(
                    name: name, detail: "FROM " + stage.baseImage, kind: .stage,
                    range: SourceRange(start: first.start, end: last.end), selectionRange: symbol(stage.firstInstruction).selectionRange,
                    children: (stage.firstInstruction...max(stage.firstInstruction, stage.lastInstruction)).map(symbol)))
        }
        return out
    }

    /// The foldable regions, in line order.
    public func foldingRegions() -> [FoldingRegion] {
        var out: [FoldingRegion] = []
        let ranges = analysis.parsed.ranges
        for stage in analysis.stages {
            let end = ranges[min(stage.lastInstruction, ranges.count - 1)].end.line
            let start = ranges[stage.firstInstruction].start.line
            if end > start { out.append(FoldingRegion(startLine: start, endLine: end, isComment: false)) }
        }
        for r in ranges where r.end.line > r.start.line { out.append(FoldingRegion(startLine: r.start.line, endLine: r.end.line, isComment: false)) }
        var run: Int?
        for (n, line) in lines.enumerated() {
            let isComment = line.first { $0 != 0x20 && $0 != 0x09 } == 0x23 && instruction(at: n) == nil
            if isComment, run == nil { run = n }
            if !isComment, let s = run {
                if n - 1 > s { out.append(FoldingRegion(startLine: s, endLine: n - 1, isComment: true)) }
                run = nil
            }
        }
        if let s = run, lines.count - 1 > s { out.append(FoldingRegion(startLine: s, endLine: lines.count - 1, isComment: true)) }
        return out.sorted { ($0.startLine, $0.endLine) < ($1.startLine, $1.endLine) }
    }
}
