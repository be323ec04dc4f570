import System

/// Variable expansion and word splitting with BuildKit's shell-lexer rules (`$x`, `${x:-w}`, `${x#p}`,
/// quotes, escapes). Used for build-time expansion of instruction arguments and for heredoc detection.
public struct ShellLexer: Sendable {
    public var escapeToken: Unicode.Scalar
    /// Keep quote characters in the output (quote removal off).
    public var rawQuotes = false
    /// Keep escape tokens in the output.
    public var rawEscapes = false
    /// Leave references to unset variables as written instead of expanding them to "".
    public var skipUnsetEnv = false
    /// Treat `<<` and `<<-` followed by blanks as one word with what follows (heredoc detection).
    var glueHeredocOperator = false

    /// Most `${…}` substitutions one may hold inside another.
    public static let maxNesting = 200

    public init(escapeToken: Unicode.Scalar = "\\") {
        self.escapeToken = escapeToken
    }

    /// Expands `word` into one string (quotes removed, no field splitting).
    public func processWord(_ word: String, env: [String: String]) throws(EstibaError) -> String {
        if isLiteral(word) { return word }
        var w = ShellWordProcessor(lexer: self, source: word, env: env)
        return try w.processStopOn(nil, rawEscapes: rawEscapes).result
    }

    /// Expands `word` and splits it into fields like a shell: unquoted expansion results split on whitespace.
    public func processWords(_ word: String, env: [String: String]) throws(EstibaError) -> [String] {
        var w = ShellWordProcessor(lexer: self, source: word, env: env)
        return try w.processStopOn(nil, rawEscapes: rawEscapes).words
    }

    /// Expands `word` into one string and tells which variable names were found in `env` and which were not
    /// (in the order first looked up), as BuildKit's linter sees an expansion.
    public func processWordWithMatches(_ word: String, env: [String: String]) throws(EstibaError) -> (
        result: String, matched: [String], unmatched: [String]
    ) {
        if isLiteral(word) { return (word, [], []) }
        var w = ShellWordProcessor(lexer: self, source: word, env: env)
        let result = try w.processStopOn(nil, rawEscapes: rawEscapes).result
        return (result, w.matched, w.unmatched)
    }

    /// Whether `word` expands to itself: no quote, `$` or escape token (and no heredoc operator to glue), as
    /// most words of a Dockerfile are.
    func isLiteral(_ word: String) -> Bool {
        let escape = escapeToken.value
        return word.utf8.allSatisfy { byte in
            byte != UInt8(ascii: "'") && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "$") && UInt32(byte) != escape
                && !(glueHeredocOperator && byte == UInt8(ascii: "<"))
        }
    }
}

/// Field-splitting accumulator (BuildKit's `wordsStruct`).
private struct WordAccumulator {
    var word = ""
    var words: [String] = []
    var inWord = false

    mutating func addChar(_ ch: Unicode.Scalar) {
        if GoText.isSpace(ch) {
            if inWord, !word.isEmpty {
                words.append(word)
                word = ""
                inWord = false
            }
        } else {
            addRawChar(ch)
        }
    }

    mutating func addRawChar(_ ch: Unicode.Scalar) {
        word.unicodeScalars.append(ch)
        inWord = true
    }

    mutating func addString(_ s: String) {
        for ch in s.unicodeScalars { addChar(ch) }
    }

    mutating func addRawString(_ s: String) {
        word += s
        inWord = true
    }

    mutating func finish() -> [String] {
        if !word.isEmpty {
            words.append(word)
            word = ""
            inWord = false
        }
        return words
    }

    /// True when the pending word is a heredoc operator (`<<`, `<<-`, `2<<`) waiting for its delimiter.
    var isHeredocOperator: Bool {
        let u = Array(word.unicodeScalars)
        var i = 0
        while i < u.count, ("0"..."9").contains(u[i]) { i += 1 }
        guard u.count - i >= 2, u[i] == "<", u[i + 1] == "<" else { return false }
        return u.count - i == 2 || (u.count - i == 3 && u[i + 2] == "-")
    }
}

private struct ShellWordProcessor {
    let lexer: ShellLexer
    let env: [String: String]
    let chars: [Unicode.Scalar]
    var pos = 0
    /// How many `${` are open; each costs stack, so it is bounded.
    var depth = 0
    /// Names looked up and found, and not found, each once, in the order first looked up.
    var matched: [String] = []
    var unmatched: [String] = []

    init(lexer: ShellLexer, source: String, env: [String: String]) {
        self.lexer = lexer
        self.env = env
        self.chars = Array(source.unicodeScalars)
    }

    var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard pos < chars.count else { return nil }
        defer { pos += 1 }
        return chars[pos]
    }

    mutating func processStopOn(_ stop: Unicode.Scalar?, rawEscapes: Bool) throws(EstibaError) -> (
        result: String, words: [String]
    ) {
        var result = ""
        var words = WordAccumulator()
        while let ch = peek {
            if let stop, ch == stop {
                pos += 1
                return (result, words.finish())
            }
            switch ch {
            case "'":
                let tmp = try processSingleQuote()
                result += tmp
                words.addRawString(tmp)
            case "\"":
                let tmp = try processDoubleQuote()
                result += tmp
                words.addRawString(tmp)
            case "$":
                let tmp = try processDollar()
                result += tmp
                words.addString(tmp)
            default:
                pos += 1
                if ch == lexer.escapeToken {
                    if rawEscapes {
                        words.addRawChar(ch)
                        result.unicodeScalars.append(ch)
                    }
                    guard let escaped = next() else { break }
                    words.addRawChar(escaped)
                    result.unicodeScalars.append(escaped)
                } else {
                    if lexer.glueHeredocOperator, GoText.isSpace(ch), words.isHeredocOperator {
                        while let p = peek, GoText.isSpace(p) { pos += 1 }
                        continue
                    }
                    words.addChar(ch)
                    result.unicodeScalars.append(ch)
                }
            }
        }
        if let stop {
            throw EstibaError.expansion("unexpected end of statement while looking for matching \(stop)")
        }
        return (result, words.finish())
    }

    mutating func processSingleQuote() throws(EstibaError) -> String {
        var result = ""
        let open = next()
        if lexer.rawQuotes, let open { result.unicodeScalars.append(open) }
        while true {
            guard let ch = next() else {
                throw EstibaError.expansion("unexpected end of statement while looking for matching single-quote")
            }
            if ch == "'" {
                if lexer.rawQuotes { result.unicodeScalars.append(ch) }
                return result
            }
            result.unicodeScalars.append(ch)
        }
    }

    mutating func processDoubleQuote() throws(EstibaError) -> String {
        var result = ""
        let open = next()
        if lexer.rawQuotes, let open { result.unicodeScalars.append(open) }
        while true {
            guard let p = peek else {
                throw EstibaError.expansion("unexpected end of statement while looking for matching double-quote")
            }
            if p == "\"" {
                pos += 1
                if lexer.rawQuotes { result.unicodeScalars.append(p) }
                return result
            }
            if p == "$" {
                result += try processDollar()
                continue
            }
            pos += 1
            var ch = p
            if ch == lexer.escapeToken {
                if lexer.rawEscapes { result.unicodeScalars.append(ch) }
                guard let after = peek else { continue }
                if after == "\"" || after == "$" || after == lexer.escapeToken {
                    pos += 1
                    ch = after
                }
            }
            result.unicodeScalars.append(ch)
        }
    }

    mutating func processDollar() throws(EstibaError) -> String {
        pos += 1  // '$'
        if peek != "{" {
            let name = processName()
            if name.isEmpty { return "$" }
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "$" + name }
            return value ?? ""
        }
        pos += 1  // '{'
        guard depth < ShellLexer.maxNesting else {
            throw EstibaError.expansion("syntax error: substitutions nested more than \(ShellLexer.maxNesting) deep; simplify the expression")
        }
        depth += 1
        defer { depth -= 1 }
        guard let first = peek else { throw EstibaError.expansion("syntax error: missing '}'") }
        if first == "{" || first == "}" || first == ":" {
            throw EstibaError.expansion("syntax error: bad substitution")
        }
        let name = processName()
        guard let op = next() else { throw EstibaError.expansion("syntax error: missing '}'") }
        var ops = String(op)
        switch op {
        case "}":
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)}" }
            return value ?? ""
        case ":", "+", "-", "?", "#", "%":
            var modifier = op
            let nullIsUnset = op == ":"
            if nullIsUnset {
                guard let m = next() else { throw EstibaError.expansion("syntax error: missing '}'") }
                modifier = m
                ops.unicodeScalars.append(m)
            }
            guard ["+", "-", "?", "#", "%"].contains(modifier) else {
                throw EstibaError.expansion("unsupported modifier (\(ops)) in substitution")
            }
            let isPattern = modifier == "#" || modifier == "%"
            if nullIsUnset, isPattern {
                throw EstibaError.expansion("unsupported modifier (\(ops)) in substitution")
            }
            let word: String
            do {
                word = try processStopOn("}", rawEscapes: isPattern).result
            } catch {
                if peek == nil { throw EstibaError.expansion("syntax error: missing '}'") }
                throw error
            }
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)\(ops)\(word)}" }
            let unsetOrNull = value == nil || (nullIsUnset && value == "")
            switch modifier {
            case "-":
                return unsetOrNull ? word : (value ?? "")
            case "+":
                return unsetOrNull ? "" : word
            case "?":
                if value == nil {
                    throw EstibaError.expansion("\(name): \(word.isEmpty ? "is not allowed to be unset" : word)")
                }
                if nullIsUnset, value == "" {
                    throw EstibaError.expansion("\(name): \(word.isEmpty ? "is not allowed to be empty" : word)")
                }
                return value ?? ""
            default:
                var pattern = word
                var greedy = false
                if pattern.unicodeScalars.first == modifier {
                    greedy = true
                    pattern = String(pattern.unicodeScalars.dropFirst())
                }
                let glob = try ShellPattern(pattern)
                let v = value ?? ""
                return modifier == "%" ? glob.trimSuffix(v, greedy: greedy) : glob.trimPrefix(v, greedy: greedy)
            }
        case "/":
            let replaceAll = peek == "/"
            if replaceAll { pos += 1 }
            let pattern: String
            do {
                pattern = try processStopOn("/", rawEscapes: true).result
            } catch {
                if peek == nil { throw EstibaError.expansion("syntax error: missing '/' in ${}") }
                throw error
            }
            let replacement: String
            do {
                replacement = try processStopOn("}", rawEscapes: true).result
            } catch {
                if peek == nil { throw EstibaError.expansion("syntax error: missing '}'") }
                throw error
            }
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)/\(pattern)/\(replacement)}" }
            return try ShellPattern(pattern).replace(in: value ?? "", with: replacement, all: replaceAll)
        default:
            throw EstibaError.expansion("unsupported modifier (\(ops)) in substitution")
        }
    }

    /// The value of `name` in the environment, noting whether it was found.
    mutating func lookup(_ name: String) -> String? {
        let value = env[name]
        if value != nil {
            if !matched.contains(name) { matched.append(name) }
        } else if !unmatched.contains(name) {
            unmatched.append(name)
        }
        return value
    }

    /// A variable name: letters, digits and `_`; a leading digit reads a positional parameter; a special
    /// parameter (`@ * # ? - $ ! 0`) is one character.
    mutating func processName() -> String {
        var name = ""
        while let ch = peek {
            if name.isEmpty, ch.properties.numericType == .decimal {
                while let d = peek, d.properties.numericType == .decimal {
                    name.unicodeScalars.append(d)
                    pos += 1
                }
                return name
            }
            if name.isEmpty, "@*#?-$!0".unicodeScalars.contains(ch) {
                pos += 1
                return String(ch)
            }
            guard ch.properties.isAlphabetic || ch.properties.numericType == .decimal || ch == "_" else { break }
            name.unicodeScalars.append(ch)
            pos += 1
        }
        return name
    }
}
