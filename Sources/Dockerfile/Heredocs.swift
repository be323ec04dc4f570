import System

/// Heredoc detection on RUN, COPY and ADD lines (and ONBUILD wrapping them).
enum Heredocs {
    /// The instructions that take heredocs.
    static func takesHeredocs(_ keyword: InstructionKeyword?) -> Bool { keyword == .run || keyword == .copy || keyword == .add }

    /// `keyword` is the node's (the caller has it already).
    static func canContain(_ node: Node, keyword: InstructionKeyword?) -> Bool {
        if keyword == .onbuild, let sub = node.next.first?.children.first {
            return takesHeredocs(InstructionKeyword(sub.value)) && !sub.isJSON
        }
        return takesHeredocs(keyword) && !node.isJSON
    }

    /// Cheap pre-check: whether the line (UTF-8) contains `<<` at all.
    static func mayOpen(_ line: [UInt8]) -> Bool {
        var previousWasLess = false
        for b in line {
            if b == UInt8(ascii: "<") {
                if previousWasLess { return true }
                previousWasLess = true
            } else {
                previousWasLess = false
            }
        }
        return false
    }

    /// The heredocs a logical line opens, in order of appearance.
    static func fromLine(_ line: String) throws(EstibaError) -> [Heredoc] {
        var lexer = ShellLexer(escapeToken: "\\")
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        lexer.glueHeredocOperator = true
        guard let words = try? lexer.processWords(line, env: [:]) else { return [] }
        var docs: [Heredoc] = []
        for w in words {
            if let d = try parse(word: w) { docs.append(d) }
        }
        return docs
    }

    /// `^(\d*)<<(-?)\s*([^<]*)$`, with the delimiter lexed twice to learn whether any of it was quoted.
    static func parse(word: String) throws(EstibaError) -> Heredoc? {
        let u = Array(word.unicodeScalars)
        var i = 0
        while i < u.count, ("0"..."9").contains(u[i]) { i += 1 }
        let fd = Int(String(String.UnicodeScalarView(u[..<i]))) ?? 0
        guard i + 1 < u.count, u[i] == "<", u[i + 1] == "<" else { return nil }
        i += 2
        var chomp = false
        if i < u.count, u[i] == "-" {
            chomp = true
            i += 1
        }
        while i < u.count, GoText.isSpace(u[i]) { i += 1 }
        let restScalars = u[i...]
        if restScalars.isEmpty || restScalars.contains("<") { return nil }
        let rest = String(String.UnicodeScalarView(restScalars))
        var lexer = ShellLexer(escapeToken: "\\")
        lexer.skipUnsetEnv = true
        let words: [String]
        let raw: [String]
        do {
            words = try lexer.processWords(rest, env: [:])
            guard words.count == 1 else { return nil }
            lexer.rawQuotes = true
            raw = try lexer.processWords(rest, env: [:])
        } catch {
            throw EstibaError.dockerfile(error.message)
        }
        guard raw.count == words.count else {
            throw EstibaError.dockerfile("internal lexing of heredoc produced inconsistent results: \(rest)")
        }
        func quotes(_ s: String) -> Int { s.unicodeScalars.filter { $0 == "'" || $0 == "\"" }.count }
        return Heredoc(
            name: words[0], expand: quotes(words[0]) == quotes(raw[0]), chomp: chomp, fileDescriptor: fd)
    }
}
