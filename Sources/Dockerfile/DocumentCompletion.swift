/// What may be typed at a position of a Dockerfile: instructions at the start of a line, an instruction's flags,
/// stage names after `--from=`, variables after `$` or `${`, and — for the engine to fill from the store and the
/// build context — image names where FROM takes one and context paths where COPY or ADD take a source.
public struct CompletionCandidate: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case keyword, flag, stage, variable, image, file, folder
    }

    public var label: String
    public var kind: Kind
    /// A short note shown beside it (the flag's kind, a variable's value).
    public var detail: String?
    public var documentation: String?
    /// The text inserted (the label when nil).
    public var insertText: String?

    public init(label: String, kind: Kind, detail: String? = nil, documentation: String? = nil, insertText: String? = nil) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.documentation = documentation
        self.insertText = insertText
    }
}

/// Where completion was asked, and what it found.
public struct CompletionContext: Sendable, Equatable {
    public var candidates: [CompletionCandidate]
    /// The position is where FROM (or `--from=`) takes an image: the engine adds local images.
    public var wantsImages: Bool
    /// The position is where COPY or ADD take a source from the build context: the engine adds its paths.
    public var wantsContextPaths = false
    /// The partial word before the position (what the editor filters by).
    public var prefix: String
}

extension DocumentQuery {
    /// The completions at `position`.
    public func completions(at position: SourcePosition) -> CompletionContext {
        guard lines.indices.contains(position.line) else { return CompletionContext(candidates: [], wantsImages: false, prefix: "") }
        let units = lines[position.line]
        let c = min(position.character, units.count)
        var start = c
        while start > 0, units[start - 1] != 0x20, units[start - 1] != 0x09 { start -= 1 }
        let prefix = String(decoding: units[start..<c], as: UTF16.self)
        let before = units[..<start]
        let onlySpaceBefore = before.allSatisfy { $0 == 0x20 || $0 == 0x09 }
        let i = instruction(at: position.line)
        let continuation = i.map { analysis.parsed.ranges[$0].start.line < position.line } ?? false

        // A variable: `$` or `${` then part of a name.
        if let dollar = prefix.lastIndex(of: "$") {
            let name = prefix[prefix.index(after: dollar)...].drop { $0 == "{" }
            if name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                let scope = i.map { variables(at: $0) } ?? []
                let candidates = scope.map {
                    CompletionCandidate(label: $0.name, kind: .variable, detail: $0.value.map { "= " + $0 } ?? "(no default)", documentation: "\($0.keyword.name) on line \($0.line + 1)")
                }
                return CompletionContext(candidates: candidates, wantsImages: false, prefix: String(name))
            }
        }
        // An instruction keyword at the start of a line that does not continue one.
        if onlySpaceBefore, !continuation, !prefix.hasPrefix("-"), !prefix.hasPrefix("#") {
            let candidates = InstructionKeyword.allCases.map {
                CompletionCandidate(label: $0.name, kind: .keyword, detail: nil, documentation: InstructionHelp.summary($0), insertText: $0.name + " ")
            }
            return CompletionContext(candidates: candidates, wantsImages: false, prefix: prefix)
        }
        guard let i, analysis.parsed.ranges[i].start.line == position.line else {
            return CompletionContext(candidates: [], wantsImages: false, prefix: prefix)
        }
        let head = head(i)
        guard let keyword = head.keyword else { return CompletionContext(candidates: [], wantsImages: false, prefix: prefix) }
        let inFlags = head.rest.first.map { start < $0.start } ?? true
        // A stage (or image) after --from=.
        if prefix.hasPrefix("--from="), keyword == .copy {
            let candidates = stageNames(before: i).map { CompletionCandidate(label: $0, kind: .stage, detail: "stage") }
            return CompletionContext(candidates: candidates, wantsImages: true, prefix: String(prefix.dropFirst(7)))
        }
        // A flag of the instruction.
        if prefix.hasPrefix("-"), inFlags {
            let candidates = FlagRules.flags(of: keyword).sorted { $0.key < $1.key }.map { name, kind in
                CompletionCandidate(
                    label: "--" + name, kind: .flag, detail: kind == .bool ? "flag" : "--\(name)=…",
                    documentation: InstructionHelp.flag(name, of: keyword), insertText: kind == .bool ? "--" + name : "--\(name)=")
            }
            return CompletionContext(candidates: candidates, wantsImages: false, prefix: prefix)
        }
        // A source from the build context: an argument of COPY/ADD (not from a stage or image) that is the first or
        // has one after it, in the shell form.
        let atArgument = !prefix.hasPrefix("-") && (head.rest.first.map { start >= $0.start } ?? true)
        if keyword == .copy || keyword == .add, atArgument, !head.flags.contains(where: { $0.text.hasPrefix("--from=") }),
            !analysis.parsed.instructions[i].isJSON, !prefix.contains("$"), !prefix.contains("://")
        {
            let index = head.rest.firstIndex { $0.start == start } ?? head.rest.count
            if index == 0 || index < head.rest.count - 1 {
                return CompletionContext(candidates: [], wantsImages: false, wantsContextPaths: true, prefix: prefix)
            }
        }
        // FROM's image (or an earlier stage).
        if keyword == .from, inFlags || head.rest.first.map({ $0.start == start }) == true {
            let candidates = stageNames(before: i).map { CompletionCandidate(label: $0, kind: .stage, detail: "stage") }
            return CompletionContext(candidates: candidates, wantsImages: true, prefix: prefix)
        }
        return CompletionContext(candidates: [], wantsImages: false, prefix: prefix)
    }
}
