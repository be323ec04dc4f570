import EstibaJSON
import System

/// Turns one logical line into an instruction node (BuildKit's `newNodeFromLine` and its argument parsers).
struct InstructionParser {
    let escapeToken: Unicode.Scalar

    static let notStringArray = "when using JSON array syntax, arrays must be comprised of strings only"

    /// Most ONBUILD an instruction may be wrapped in (`ONBUILD ONBUILD …`); each level is a nested parse.
    static let maxOnbuildNesting = 100

    func node(fromLine line: String, depth: Int = 0) throws(EstibaError) -> Node {
        let (cmd, flags, args) = splitCommand(line)
        var node = Node(value: cmd, flags: flags, original: line)
        switch InstructionKeyword(cmd) {
        case .add, .copy, .volume:
            (node.next, node.isJSON) = try maybeJSONToList(args)
        case .run, .cmd, .entrypoint, .shell:
            (node.next, node.isJSON) = try maybeJSON(args)
        case .from, .expose:
            node.next = whitespaceList(args)
        case .maintainer, .user, .workdir, .stopSignal:
            node.next = args.isEmpty ? [] : [Node(value: args)]
        case .env:
            node.next = try nameValue(args, key: "ENV")
        case .label:
            node.next = try nameValue(args, key: "LABEL")
        case .arg:
            node.next = parseWords(args).map { Node(value: $0) }
        case .healthcheck:
            (node.next, node.isJSON) = try healthConfig(args)
        case .onbuild:
            if !args.isEmpty {
                guard depth < Self.maxOnbuildNesting else {
                    throw EstibaError.dockerfile("ONBUILD is nested more than \(Self.maxOnbuildNesting) deep; an ONBUILD trigger cannot itself be ONBUILD",
                        startLine: 0, endLine: 0)
                }
                let sub = try self.node(fromLine: args, depth: depth + 1)
                node.next = [Node(children: [sub])]
            }
        case nil:
            node.next = [Node()]
        }
        return node
    }

    /// Splits off the keyword at the first blank run and reads leading `--flags`.
    func splitCommand(_ line: String) -> (String, [String], String) {
        // On the bytes: the keyword ends at the first blank ([\t\v\f\r ], all ASCII) of the trimmed line.
        let (cmd, restStart, restEnd, flagged) = GoText.withBytes(line) { buf -> (String, Int, Int, Bool) in
            let a = GoText.leftEdge(buf)
            let b = GoText.rightEdge(buf, from: a)
            var i = a
            while i < b, !GoText.isBlankByte(buf[i]) { i += 1 }
            let cmd = String(decoding: UnsafeBufferPointer(rebasing: buf[a..<i]), as: UTF8.self)
            var j = i
            while j < b, GoText.isBlankByte(buf[j]) { j += 1 }
            var k = j
            while k < b, GoText.isASCIISpace(buf[k]) { k += 1 }
            let flagged = k + 1 < b && buf[k] == UInt8(ascii: "-") && buf[k + 1] == UInt8(ascii: "-")
            return (cmd, j, b, flagged)
        }
        if restStart >= restEnd { return (cmd, [], "") }
        let restText = GoText.slice(Substring(line), restStart, restEnd)
        if !flagged { return (cmd, [], String(GoText.trimSpace(restText))) }
        let (rest, flags) = extractFlags(restText)
        return (cmd, flags, String(GoText.trimSpace(rest)))
    }

    /// BuildKit's `extractBuilderFlags`: `--x=y` words (quotes removed, escapes honoured) until the first other word.
    func extractFlags(_ line: Substring) -> (Substring, [String]) {
        // Fast path: flags are rare; unless the first word starts with "--" the whole line is the rest.
        let bytes = line.utf8
        var b = bytes.startIndex
        while b < bytes.endIndex, bytes[b] == 0x20 || bytes[b] == 0x09 || (bytes[b] >= 0x0A && bytes[b] <= 0x0D) {
            b = bytes.index(after: b)
        }
        if b < bytes.endIndex, bytes[b] < 0x80 {
            let second = bytes.index(after: b)
            if bytes[b] != UInt8(ascii: "-") || second == bytes.endIndex || bytes[second] != UInt8(ascii: "-") {
                return (line, [])
            }
        }
        let scalars = line.unicodeScalars
        let u = Array(scalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var blankOK = false
        var quote: Unicode.Scalar = "\0"
        enum Phase { case spaces, word, quote }
        var phase = Phase.spaces
        var pos = 0
        func rest(_ at: Int) -> Substring { Substring(scalars[scalars.index(scalars.startIndex, offsetBy: at)...]) }
        /// The character at `pos` with an escape token resolved, moving past it; nil for a trailing escape token.
        func unescaped(_ pos: inout Int) -> Unicode.Scalar? {
            var c = u[pos]
            if c == escapeToken {
                if pos + 1 == u.count {
                    pos += 1
                    return nil
                }
                pos += 1
                c = u[pos]
            }
            pos += 1
            return c
        }
        while pos <= u.count {
            let ch: Unicode.Scalar = pos < u.count ? u[pos] : "\0"
            if phase == .spaces {
                if pos == u.count { break }
                if GoText.isSpace(ch) {
                    pos += 1
                    continue
                }
                if ch != "-" || pos + 1 == u.count || u[pos + 1] != "-" { return (rest(pos), words) }
                phase = .word
            }
            if pos == u.count {
                let w = String(word)
                if w != "--", blankOK || !w.isEmpty { words.append(w) }
                break
            }
            if phase == .word {
                if GoText.isSpace(ch) {
                    phase = .spaces
                    let w = String(word)
                    if w == "--" { return (rest(pos), words) }
                    if blankOK || !w.isEmpty { words.append(w) }
                    word = String.UnicodeScalarView()
                    blankOK = false
                    pos += 1
                    continue
                }
                if ch == "'" || ch == "\"" {
                    quote = ch
                    blankOK = true
                    phase = .quote
                    pos += 1
                    continue
                }
                if let c = unescaped(&pos) { word.append(c) }
                continue
            }
            // inside quotes
            if ch == quote {
                phase = .word
                pos += 1
                continue
            }
            if let c = unescaped(&pos) {
                word.append(c)
            } else {
                phase = .word
            }
        }
        return ("", words)
    }

    func whitespaceList(_ rest: String) -> [Node] {
        rest.isEmpty ? [] : GoText.splitBlank(rest).map { Node(value: String($0)) }
    }

    enum JSONForm {
        case array([String])
        case notJSON
    }

    /// A JSON array of strings, or `.notJSON` when the text does not decode as a JSON array.
    func parseJSON(_ rest: String) throws(EstibaError) -> JSONForm {
        let trimmed = GoText.trimLeft(rest)
        guard trimmed.unicodeScalars.first == "[" else { return .notJSON }
        guard let value = try? JSONValue.parse(String(trimmed)), case .array(let items) = value else {
            return .notJSON
        }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item else {
                throw EstibaError.dockerfile(Self.notStringArray)
            }
            strings.append(s)
        }
        return .array(strings)
    }

    func maybeJSON(_ rest: String) throws(EstibaError) -> ([Node], Bool) {
        if rest.isEmpty { return ([], false) }
        if case .array(let a) = try parseJSON(rest) { return (a.map { Node(value: $0) }, true) }
        return ([Node(value: rest)], false)
    }

    func maybeJSONToList(_ rest: String) throws(EstibaError) -> ([Node], Bool) {
        if case .array(let a) = try parseJSON(rest) { return (a.map { Node(value: $0) }, true) }
        return (whitespaceList(rest), false)
    }

    func healthConfig(_ rest: String) throws(EstibaError) -> ([Node], Bool) {
        let u = Array(rest.unicodeScalars)
        var sep = 0
        while sep < u.count, !GoText.isSpace(u[sep]) { sep += 1 }
        var next = sep
        while next < u.count, GoText.isSpace(u[next]) { next += 1 }
        if sep == 0 { return ([], false) }
        let typ = String(String.UnicodeScalarView(u[..<sep]))
        let (cmd, json) = try maybeJSON(String(String.UnicodeScalarView(u[next...])))
        return ([Node(value: typ)] + cmd, json)
    }

    /// ENV and LABEL: legacy `KEY value` or `k=v k2=v2` (values raw, quotes kept).
    func nameValue(_ rest: String, key: String) throws(EstibaError) -> [Node] {
        let words = parseWords(rest)
        guard let first = words.first else { return [] }
        if !first.contains("=") {
            let parts = GoText.splitBlank(rest, maxParts: 2)
            guard parts.count == 2 else {
                throw EstibaError.dockerfile("\(key) must have two arguments")
            }
            return [Node(value: String(parts[0])), Node(value: String(parts[1])), Node(value: "")]
        }
        var nodes: [Node] = []
        for w in words {
            guard let eq = w.firstIndex(of: "=") else {
                throw EstibaError.dockerfile("Syntax error - can't find = in \(GoText.quote(w)). Must be of the form: name=value",
                    startLine: 0, endLine: 0)
            }
            nodes.append(Node(value: String(w[..<eq])))
            nodes.append(Node(value: String(w[w.index(after: eq)...])))
            nodes.append(Node(value: "="))
        }
        return nodes
    }

    /// BuildKit's `parseWords`: whitespace-separated words, quotes and escapes kept verbatim.
    /// Works on UTF-8 bytes (every syntax character is ASCII); non-ASCII scalars are copied whole.
    func parseWords(_ rest: String) -> [String] {
        let esc = UInt8(truncatingIfNeeded: escapeToken.value)
        return GoText.withBytes(rest) { buf -> [String] in
            enum Phase { case spaces, word, quote }
            var phase = Phase.spaces
            var words: [String] = []
            var word: [UInt8] = []
            word.reserveCapacity(64)
            var quote: UInt8 = 0
            var blankOK = false
            var i = 0
            let n = buf.count
            func copyScalar(_ at: Int) -> Int {
                let end = min(at + GoText.sequenceLength(buf[at]), n)
                word.append(contentsOf: UnsafeBufferPointer(rebasing: buf[at..<end]))
                return end
            }
            /// An escape token and the character after it are both kept; a trailing one is dropped (false).
            func copyEscaped() -> Bool {
                if i + 1 == n {
                    i += 1
                    return false
                }
                word.append(buf[i])
                i = copyScalar(i + 1)
                return true
            }
            while true {
                if phase == .spaces {
                    if i == n { break }
                    let w = GoText.spaceWidth(buf, i)
                    if w > 0 {
                        i += w
                        continue
                    }
                    phase = .word
                }
                if i == n {
                    if blankOK || !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
                    break
                }
                let ch = buf[i]
                if phase == .word {
                    let w = GoText.spaceWidth(buf, i)
                    if w > 0 {
                        phase = .spaces
                        if blankOK || !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
                        word.removeAll(keepingCapacity: true)
                        blankOK = false
                        i += w
                        continue
                    }
                    if ch == UInt8(ascii: "'") || ch == UInt8(ascii: "\"") {
                        quote = ch
                        blankOK = true
                        phase = .quote
                    }
                    if ch == esc {
                        _ = copyEscaped()
                        continue
                    }
                    i = copyScalar(i)
                    continue
                }
                // inside quotes
                if ch == quote { phase = .word }
                if ch == esc, quote != UInt8(ascii: "'") {
                    if !copyEscaped() { phase = .word }
                    continue
                }
                i = copyScalar(i)
            }
            return words
        }
    }
}

extension DockerfileParser {
    /// Whether `keyword` (any case) names a Dockerfile instruction.
    public static func isInstruction(_ keyword: String) -> Bool { InstructionKeyword(keyword) != nil }
}
