/// A change an editor can make for a diagnostic (a quick fix): a title and the text edits.
public struct DocumentFix: Sendable, Equatable {
    public struct Edit: Sendable, Equatable {
        public var range: SourceRange
        public var newText: String
    }

    public var title: String
    public var edits: [Edit]
    /// The fix an editor applies when asked to fix without choosing.
    public var isPreferred: Bool
}

extension DocumentQuery {
    /// The fixes for the diagnostic `code` at `range`: the rule's own fix when it has one, and for a build check
    /// (a BuildKit rule name), skipping that rule in this file with the `# check=skip=` directive.
    public func fixes(code: String, range: SourceRange) -> [DocumentFix] {
        var out: [DocumentFix] = []
        if let i = instruction(at: range.start.line), let fix = ruleFix(code, instruction: i) { out.append(fix) }
        if let first = code.unicodeScalars.first, first.properties.isUppercase { out.append(skipFix(code)) }
        return out
    }

    func edit(_ line: Int, _ start: Int, _ end: Int, _ text: String) -> DocumentFix.Edit {
        DocumentFix.Edit(range: range(line, start, end), newText: text)
    }

    func ruleFix(_ code: String, instruction i: Int) -> DocumentFix? {
        let node = analysis.parsed.instructions[i]
        let r = analysis.parsed.ranges[i]
        let line = r.start.line
        let head = head(i)
        guard let keywordWord = head.keywordWord else { return nil }
        let upper = keywordWord.text == keywordWord.text.uppercased()
        switch code {
        case "FromAsCasing":
            guard head.rest.count >= 3 else { return nil }
            let word = head.rest[1]
            let cased = upper ? word.text.uppercased() : word.text.lowercased()
            return DocumentFix(title: "Write '\(cased)' to match '\(keywordWord.text)'", edits: [edit(line, word.start, word.end, cased)], isPreferred: true)
        case "StageNameCasing":
            guard head.rest.count >= 3 else { return nil }
            let word = head.rest[2]
            return DocumentFix(
                title: "Rename the stage '\(word.text.lowercased())'", edits: [edit(line, word.start, word.end, word.text.lowercased())], isPreferred: true)
        case "ConsistentInstructionCasing":
            // To the case the other instructions use.
            let majorityUpper = analysis.parsed.instructions.filter { $0.value == $0.value.uppercased() }.count * 2 >= analysis.parsed.instructions.count
            let cased = majorityUpper ? keywordWord.text.uppercased() : keywordWord.text.lowercased()
            return DocumentFix(title: "Write '\(cased)'", edits: [edit(line, keywordWord.start, keywordWord.end, cased)], isPreferred: true)
        case "MaintainerDeprecated":
            let author = node.next.map(\.value).joined(separator: " ")
            let label = (upper ? "LABEL" : "label") + " org.opencontainers.image.authors=" + GoText.quote(author)
            return DocumentFix(title: "Use a LABEL for the author", edits: [DocumentFix.Edit(range: r, newText: label)], isPreferred: true)
        case "JSONArgsRecommended":
            guard !node.isJSON, node.heredocs.isEmpty, r.start.line == r.end.line else { return nil }
            let command = head.rest.map(\.text)
            // Only a plain command: shell syntax would change meaning in exec form.
            let shellSyntax = Set("\"'$|&;<>*?`()\\{}[]~#")
            guard !command.isEmpty, !command.joined().contains(where: { shellSyntax.contains($0) }) else { return nil }
            let json = "[" + command.map { GoText.quote($0) }.joined(separator: ", ") + "]"
            let start = head.rest[0].start
            let end = head.rest[head.rest.count - 1].end
            return DocumentFix(title: "Use the exec form \(json)", edits: [edit(line, start, end, json)], isPreferred: true)
        case "LegacyKeyValueFormat":
            // The legacy form is one key and its value, without "=" between them.
            guard node.next.count == 3, node.next[2].value != "=" else { return nil }
            let key = node.next[0].value
            let value = node.next[1].value
            let quoted = value.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" }) ? GoText.quote(value) : value
            let text = keywordWord.text + " " + key + "=" + quoted
            return DocumentFix(title: "Write \(key)=\(quoted)", edits: [DocumentFix.Edit(range: r, newText: text)], isPreferred: true)
        default:
            return nil
        }
    }

    /// Adds `code` to the file's `# check=skip=` directive, or adds the directive at the top.
    func skipFix(_ code: String) -> DocumentFix {
        let title = "Skip the \(code) check in this file"
        if let check = analysis.parsed.directives.first(where: { $0.name == "check" }) {
            let line = check.line - 1
            let text = String(decoding: lines.indices.contains(line) ? lines[line] : [], as: UTF16.self)
            let value = check.value
            var parts = value.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            if let k = parts.firstIndex(where: { $0.trimmingSpaces.lowercased().hasPrefix("skip=") }) {
                parts[k] = parts[k].trimmingSpaces + "," + code
            } else {
                parts.insert("skip=" + code, at: 0)
            }
            let newText = "# check=" + parts.joined(separator: ";")
            return DocumentFix(title: title, edits: [edit(line, 0, text.utf16.count, newText)], isPreferred: false)
        }
        // After the other directives (directives must come first).
        let line = analysis.parsed.directives.map(\.line).max() ?? 0
        return DocumentFix(title: title, edits: [edit(line, 0, 0, "# check=skip=\(code)\n")], isPreferred: false)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
