/// Formatting a Dockerfile as an editor asks: instruction keywords in upper case (ONBUILD's trigger too) and
/// continuation lines indented by one level; here-document bodies and comments are left as they are.
extension DocumentQuery {
    /// The edits, in document order; `indent` is one level (four spaces, a tab…).
    public func formattingEdits(indent: String) -> [DocumentFix.Edit] {
        var out: [DocumentFix.Edit] = []
        let parsed = analysis.parsed
        for i in parsed.instructions.indices {
            let node = parsed.instructions[i]
            let r = parsed.ranges[i]
            let head = head(i)
            if let k = head.keywordWord, head.keyword != nil, k.text != k.text.uppercased() {
                out.append(edit(r.start.line, k.start, k.end, k.text.uppercased()))
            }
            if head.keyword == .onbuild, let trigger = head.rest.first, InstructionKeyword(trigger.text) != nil, trigger.text != trigger.text.uppercased() {
                out.append(edit(r.start.line, trigger.start, trigger.end, trigger.text.uppercased()))
            }
            // Continuation lines (not here-document bodies, which are the instruction's text).
            guard node.heredocs.isEmpty, r.end.line > r.start.line else { continue }
            for line in (r.start.line + 1)...r.end.line where lines.indices.contains(line) {
                let units = lines[line]
                let content = units.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? units.count
                guard content < units.count, units[content] != 0x23 else { continue }
                let current = String(decoding: units[..<content], as: UTF16.self)
                if current != indent { out.append(edit(line, 0, content, indent)) }
            }
        }
        return out.sorted { $0.range.start < $1.range.start }
    }
}
