/// One `.dockerignore` pattern, compiled the way moby/patternmatcher does it.
public struct IgnorePattern: Sendable, Equatable {
    /// The pattern after cleaning, without its leading `!`.
    public let pattern: String
    /// `!pattern`: re-includes what earlier patterns excluded.
    public let isExclusion: Bool

    enum Kind: Sendable, Equatable {
        case exact
        case prefix(String)
        case suffix(String)
        case glob([Token])
    }

    enum Token: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case notSlashRun  // `*`  -> [^/]*
        case notSlash  // `?`  -> [^/]
        case anyDirs  // `**/` in the middle -> (.*/)?
        case anything  // trailing `**` after other tokens -> .*
        case charClass(CharClass)
    }

    struct CharClass: Sendable, Equatable {
        var negated: Bool
        var ranges: [ClosedRange<UInt32>]
        func contains(_ c: Unicode.Scalar) -> Bool {
            ranges.contains { $0.contains(c.value) } != negated
        }
    }

    let kind: Kind

    /// Compiles a pattern line (already trimmed); throws for `!` alone or a malformed pattern.
    public init(_ line: String) throws(IgnorePatternError) {
        var p = PathClean.clean(line)
        var exclusion = false
        if p.hasPrefix("!") {
            if p == "!" { throw IgnorePatternError(pattern: line, reason: "illegal exclusion pattern: \"!\"") }
            exclusion = true
            p.removeFirst()
        }
        try Self.validate(p, original: line)
        self.pattern = p
        self.isExclusion = exclusion
        self.kind = Self.compile(p)
    }

    /// Mirrors patternmatcher's `compile`: decides the match type and builds the token list.
    static func compile(_ pattern: String) -> Kind {
        let u = Array(pattern.unicodeScalars)
        var tokens: [Token] = []
        var isRegexp = false
        var type = 0  // 0 exact, 1 prefix, 2 suffix, 3 regexp
        var i = 0
        var index = 0
        while i < u.count {
            let ch = u[i]
            i += 1
            defer { index += 1 }
            switch ch {
            case "*":
                if i < u.count, u[i] == "*" {
                    i += 1
                    if i < u.count, u[i] == "/" { i += 1 }
                    if i == u.count {
                        if type == 0 { type = 1 } else { tokens.append(.anything); type = 3 }
                    } else {
                        tokens.append(.anyDirs)
                        type = 3
                    }
                    if index == 0 { type = 2 }
                } else {
                    tokens.append(.notSlashRun)
                    type = 3
                }
            case "?":
                tokens.append(.notSlash)
                type = 3
            case "\\":
                if i < u.count {
                    tokens.append(.literal(u[i]))
                    i += 1
                    type = 3
                } else {
                    tokens.append(.literal("\\"))
                }
            case "[":
                let (cls, next) = parseClass(u, from: i)
                tokens.append(.charClass(cls))
                i = next
                type = 3
            default:
                tokens.append(.literal(ch))
            }
        }
        isRegexp = type == 3
        if isRegexp { return .glob(tokens) }
        switch type {
        case 1: return .prefix(String(pattern.dropLast(2)))
        case 2: return .suffix(String(pattern.dropFirst(2)))
        default: return .exact
        }
    }

    /// Reads a `[...]` class body starting after `[`; returns the class and the index after `]`.
    static func parseClass(_ u: [Unicode.Scalar], from start: Int) -> (CharClass, Int) {
        var i = start
        var negated = false
        if i < u.count, u[i] == "^" {
            negated = true
            i += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while i < u.count, u[i] != "]" || first {
            first = false
            var lo = u[i]
            if lo == "\\", i + 1 < u.count {
                i += 1
                lo = u[i]
            }
            i += 1
            var hi = lo
            if i + 1 < u.count, u[i] == "-", u[i + 1] != "]" {
                hi = u[i + 1]
                if hi == "\\", i + 2 < u.count {
                    hi = u[i + 2]
                    i += 1
                }
                i += 2
            }
            ranges.append(min(lo.value, hi.value)...max(lo.value, hi.value))
        }
        return (CharClass(negated: negated, ranges: ranges), min(i + 1, u.count))
    }

    /// The syntax checks Go's `filepath.Match` applies (unclosed or empty class, bad range, trailing escape).
    static func validate(_ p: String, original: String) throws(IgnorePatternError) {
        let u = Array(p.unicodeScalars)
        var i = 0
        while i < u.count {
            switch u[i] {
            case "\\":
                if i + 1 >= u.count { throw IgnorePatternError(pattern: original, reason: "syntax error in pattern") }
                i += 2
            case "[":
                i += 1
                if i < u.count, u[i] == "^" { i += 1 }
                var count = 0
                while true {
                    guard i < u.count else { throw IgnorePatternError(pattern: original, reason: "syntax error in pattern") }
                    if u[i] == "]", count > 0 { break }
                    var lo = u[i]
                    if lo == "\\" {
                        guard i + 1 < u.count else { throw IgnorePatternError(pattern: original, reason: "syntax error in pattern") }
                        i += 1
                        lo = u[i]
                    }
                    i += 1
                    if i < u.count, u[i] == "-" {
                        guard i + 1 < u.count, u[i + 1] != "]" else {
                            throw IgnorePatternError(pattern: original, reason: "syntax error in pattern")
                        }
                        var hi = u[i + 1]
                        if hi == "\\", i + 2 < u.count {
                            i += 1
                            hi = u[i + 1]
                        }
                        if hi.value < lo.value { throw IgnorePatternError(pattern: original, reason: "syntax error in pattern") }
                        i += 2
                    }
                    count += 1
                }
                i += 1
            default:
                i += 1
            }
        }
    }

    /// Whether `path` (slash-separated, relative to the context) matches this pattern itself.
    public func matches(_ path: String) -> Bool {
        switch kind {
        case .exact: return path == pattern
        case .prefix(let p): return path.hasPrefix(p)
        case .suffix(let s):
            if path.hasSuffix(s) { return true }
            return s.hasPrefix("/") && path == String(s.dropFirst())
        case .glob(let tokens):
            return Self.match(tokens, Array(path.unicodeScalars))
        }
    }

    static func match(_ tokens: [Token], _ s: [Unicode.Scalar]) -> Bool {
        var memo = Set<Int>()  // failed (token, index) states
        func go(_ t: Int, _ i: Int) -> Bool {
            if t == tokens.count { return i == s.count }
            let key = t * (s.count + 1) + i
            if memo.contains(key) { return false }
            let ok: Bool
            switch tokens[t] {
            case .literal(let c): ok = i < s.count && s[i] == c && go(t + 1, i + 1)
            case .notSlash: ok = i < s.count && s[i] != "/" && go(t + 1, i + 1)
            case .charClass(let cls): ok = i < s.count && cls.contains(s[i]) && go(t + 1, i + 1)
            case .notSlashRun:
                var k = i
                var found = go(t + 1, k)
                while !found, k < s.count, s[k] != "/" {
                    k += 1
                    found = go(t + 1, k)
                }
                ok = found
            case .anything:
                ok = (i...s.count).contains { go(t + 1, $0) }
            case .anyDirs:
                // (.*/)? : nothing, or any text ending in a slash.
                if go(t + 1, i) {
                    ok = true
                } else {
                    var found = false
                    var k = i
                    while k < s.count {
                        if s[k] == "/", go(t + 1, k + 1) { found = true; break }
                        k += 1
                    }
                    ok = found
                }
            }
            if !ok { memo.insert(key) }
            return ok
        }
        return go(0, 0)
    }
}

/// A `.dockerignore` pattern is malformed.
public struct IgnorePatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    public let reason: String
    public var description: String { "invalid .dockerignore pattern \(GoText.quote(pattern)): \(reason)" }
}
