/// A Dockerfile's semantic tokens, for an editor to colour: comments, instruction keywords, flags, stage names,
/// variables, FROM's image. Positions are LSP's; tokens are on one line each, in document order, never overlapping.
public struct SemanticToken: Sendable, Equatable {
    /// The kinds, in the order of the legend an editor is given.
    public enum Kind: Int, Sendable, CaseIterable {
        case keyword, parameter, variable, namespace, `class`, comment

        /// LSP's standard token type names.
        public var name: String {
            switch self {
            case .keyword: return "keyword"
            case .parameter: return "parameter"
            case .variable: return "variable"
            case .namespace: return "namespace"
            case .class: return "class"
            case .comment: return "comment"
            }
        }
    }

    public var line: Int
    public var start: Int
    public var length: Int
    public var kind: Kind
    /// Declares the name (a stage's `AS name`, an ARG or ENV).
    public var isDeclaration: Bool
}

extension DocumentQuery {
    /// Every token, in document order.
    public func semanticTokens() -> [SemanticToken] {
        var out: [SemanticToken] = []
        let parsed = analysis.parsed
        // Comments: lines outside instructions whose first character is '#'.
        for (n, line) in lines.enumerated() where instruction(at: n) == nil {
            if let first = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), line[first] == 0x23 {
                out.append(SemanticToken(line: n, start: first, length: line.count - first, kind: .comment, isDeclaration: false))
            }
        }
        var names: [Int: [(Int, Int, SemanticToken.Kind, Bool)]] = [:]
        for (symbol, occurrence) in allOccurrences() {
            let r = occurrence.range
            let kind: SemanticToken.Kind
            if case .stage = symbol { kind = .namespace } else { kind = .variable }
            names[r.start.line, default: []].append((r.start.character, r.end.character - r.start.character, kind, occurrence.isDeclaration))
        }
        for i in parsed.instructions.indices {
            let head = head(i)
            let line = parsed.ranges[i].start.line
            if let k = head.keywordWord, head.keyword != nil {
                out.append(SemanticToken(line: line, start: k.start, length: k.end - k.start, kind: .keyword, isDeclaration: false))
            }
            for f in head.flags {
                let name = f.text.prefix { $0 != "=" }
                out.append(SemanticToken(line: line, start: f.start, length: name.utf16.count, kind: .parameter, isDeclaration: false))
            }
            if head.keyword == .from, let image = head.rest.first, !stageNames(before: i).contains(image.text.lowercased()), !image.text.contains("$") {
                out.append(SemanticToken(line: line, start: image.start, length: image.end - image.start, kind: .class, isDeclaration: false))
            }
            if head.keyword == .from, head.rest.count >= 2 {
                let w = head.rest[1]
                out.append(SemanticToken(line: line, start: w.start, length: w.end - w.start, kind: .keyword, isDeclaration: false))
            }
        }
        for (line, list) in names {
            for (start, length, kind, declaration) in list {
                out.append(SemanticToken(line: line, start: start, length: length, kind: kind, isDeclaration: declaration))
            }
        }
        out.sort { ($0.line, $0.start) < ($1.line, $1.start) }
        // No overlaps: a later token that starts inside the one before is dropped.
        var kept: [SemanticToken] = []
        for t in out {
            if let last = kept.last, last.line == t.line, t.start < last.start + last.length { continue }
            kept.append(t)
        }
        return kept
    }
}
