import System

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
    /// The text an exact, prefix or suffix pattern compares with; for a glob, its leading literal characters
    /// (which every match starts with).
    let scalars: [Unicode.Scalar]
    /// The character every match ends with, when there is one.
    let lastScalar: Unicode.Scalar?

    /// Compiles a pattern line (already trimmed); throws for `!` alone or a malformed pattern.
    public init(_ line: String) throws(EstibaError) {
        var p = PathClean.clean(line)
        var exclusion = false
        if p.hasPrefix("!") {
            if p == "!" { throw EstibaError.ignorePattern(line, "illegal exclusion pattern: \"!\"") }
            exclusion = true
            p.removeFirst()
        }
        try Self.validate(p, original: line)
        self.pattern = p
        self.isExclusion = exclusion
        self.kind = Self.compile(p)
        switch kind {
        case .exact:
            scalars = Array(p.unicodeScalars)
            lastScalar = scalars.last
        case .prefix(let text):
            scalars = Array(text.unicodeScalars)
            lastScalar = nil
        case .suffix(let text):
            scalars = Array(text.unicodeScalars)
            // A suffix `/x` also matches the whole text `x`, which ends the same way (unless it is empty).
            lastScalar = scalars == ["/"] ? nil : scalars.last
        case .glob(let tokens):
            var lead: [Unicode.Scalar] = []
            for t in tokens {
                guard case .literal(let c) = t else { break }
                lead.append(c)
            }
            scalars = lead
            if case .literal(let c)? = tokens.last { lastScalar = c } else { lastScalar = nil }
        }
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
                        // `(.*/)?(.*/)?` matches what `(.*/)?` does: a run of `**/` is one token.
                        if tokens.last != .anyDirs { tokens.append(.anyDirs) }
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
    static func validate(_ p: String, original: String) throws(EstibaError) {
        let u = Array(p.unicodeScalars)
        var i = 0
        while i < u.count {
            switch u[i] {
            case "\\":
                if i + 1 >= u.count { throw EstibaError.ignorePattern(original, "syntax error in pattern") }
                i += 2
            case "[":
                i += 1
                if i < u.count, u[i] == "^" { i += 1 }
                var count = 0
                while true {
                    guard i < u.count else { throw EstibaError.ignorePattern(original, "syntax error in pattern") }
                    if u[i] == "]", count > 0 { break }
                    var lo = u[i]
                    if lo == "\\" {
                        guard i + 1 < u.count else { throw EstibaError.ignorePattern(original, "syntax error in pattern") }
                        i += 1
                        lo = u[i]
                    }
                    i += 1
                    if i < u.count, u[i] == "-" {
                        guard i + 1 < u.count, u[i + 1] != "]" else {
                            throw EstibaError.ignorePattern(original, "syntax error in pattern")
                        }
                        var hi = u[i + 1]
                        if hi == "\\", i + 2 < u.count {
                            i += 1
                            hi = u[i + 1]
                        }
                        if hi.value < lo.value { throw EstibaError.ignorePattern(original, "syntax error in pattern") }
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

    /// The character every text this pattern matches starts with, when there is one.
    var firstScalar: Unicode.Scalar? {
        if case .suffix = kind { return nil }
        return scalars.first
    }

    /// Whether `path` (slash-separated, relative to the context) matches this pattern itself.
    public func matches(_ path: String) -> Bool {
        var scratch = IgnoreScratch()
        return matches(Array(path.unicodeScalars), scratch: &scratch)
    }

    /// Whether the whole of `s` matches; `scratch.work` grows by the matching steps taken.
    func matches(_ s: [Unicode.Scalar], scratch: inout IgnoreScratch) -> Bool {
        scratch.work += 1
        if let c = lastScalar, s.last != c { return false }
        switch kind {
        case .exact: return s.elementsEqual(scalars)
        case .prefix: return s.starts(with: scalars)
        case .suffix:
            if Self.hasSuffix(s, end: s.count, scalars) { return true }
            return scalars.first == "/" && s.elementsEqual(scalars.dropFirst())
        case .glob(let tokens):
            guard s.starts(with: scalars) else { return false }
            return Self.run(tokens, s, prefixes: false, scratch: &scratch)
        }
    }

    /// Whether some leading part of the directory path `s` matches: `s` itself or any part of it that ends just
    /// before a `/` (the parent directories patternmatcher tries one by one), in one pass. `ends` holds the last
    /// characters of those parts.
    func matchesSomeParent(_ s: [Unicode.Scalar], ends: [Unicode.Scalar], scratch: inout IgnoreScratch) -> Bool {
        scratch.work += 1
        if let c = lastScalar, !ends.contains(c) { return false }
        switch kind {
        case .exact:
            // `s` is the pattern, or starts with it followed by a slash.
            guard s.starts(with: scalars) else { return false }
            return s.count == scalars.count || s[scalars.count] == "/"
        case .prefix:
            // Every candidate is a leading part of `s`; the longest (`s`) has the prefix whenever one does.
            return s.starts(with: scalars)
        case .suffix:
            let bare = scalars.first == "/" ? scalars.dropFirst() : scalars[...]
            var k = 0
            while k <= s.count {
                if k == s.count || s[k] == "/" {
                    scratch.work += 1
                    if Self.hasSuffix(s, end: k, scalars) { return true }
                    if scalars.first == "/", k == bare.count, s[..<k].elementsEqual(bare) { return true }
                }
                k += 1
            }
            return false
        case .glob(let tokens):
            guard s.starts(with: scalars) else { return false }
            return Self.run(tokens, s, prefixes: true, scratch: &scratch)
        }
    }

    static func hasSuffix(_ s: [Unicode.Scalar], end: Int, _ suffix: [Unicode.Scalar]) -> Bool {
        guard suffix.count <= end else { return false }
        return s[(end - suffix.count)..<end].elementsEqual(suffix)
    }

    /// Matches `s` against the tokens without backtracking: the tokens are simulated as an automaton with a set of
    /// live positions, so the cost is at most (positions × characters). Positions are `2 * token` (about to
    /// match that token; `2 * tokens.count` accepts) and `2 * token + 1` (inside the `.*` of a `**/`, which must
    /// end with a slash). With `prefixes`, also accepts when the part of `s` before any `/` matches.
    static func run(_ tokens: [Token], _ s: [Unicode.Scalar], prefixes: Bool, scratch: inout IgnoreScratch) -> Bool {
        let accept = 2 * tokens.count
        scratch.prepare(positions: accept + 2)
        // The buffers move out of the scratch for the run and back after it (no copies).
        var seen: [Int] = []
        var live: [Int] = []
        var next: [Int] = []
        swap(&seen, &scratch.seen)
        swap(&live, &scratch.live)
        swap(&next, &scratch.next)
        var generation = scratch.generation
        var work = scratch.work
        defer {
            swap(&seen, &scratch.seen)
            swap(&live, &scratch.live)
            swap(&next, &scratch.next)
            scratch.generation = generation
            scratch.work = work
        }
        // `seen[p] == generation` marks `p` live for the current character. `add` puts in `next` a position and
        // every position reachable from it without reading a character.
        func add(_ position: Int) {
            var p = position
            while seen[p] != generation {
                seen[p] = generation
                next.append(p)
                guard (p & 1) == 0, p < accept else { return }
                switch tokens[p >> 1] {
                case .anyDirs, .notSlashRun, .anything: p += 2
                default: return
                }
            }
        }
        add(0)
        swap(&live, &next)
        var i = 0
        while true {
            if seen[accept] == generation {
                if i == s.count { return true }
                if prefixes, s[i] == "/" { return true }
            }
            guard i < s.count, !live.isEmpty else { return false }
            let c = s[i]
            generation += 1
            next.removeAll(keepingCapacity: true)
            for p in live {
                work += 1
                guard p != accept else { continue }
                let t = p >> 1
                switch tokens[t] {
                case .literal(let x): if c == x { add(p + 2) }
                case .notSlash: if c != "/" { add(p + 2) }
                case .charClass(let cls): if cls.contains(c) { add(p + 2) }
                case .notSlashRun: if c != "/" { add(p) }
                case .anything: add(p)
                case .anyDirs:
                    add(2 * t + 1)
                    if c == "/" { add(2 * t + 2) }
                }
            }
            swap(&live, &next)
            i += 1
        }
    }
}

/// Buffers one matching pass reuses from pattern to pattern, and the steps it took.
struct IgnoreScratch {
    /// Matching steps taken so far (a step is one live automaton position meeting one character, or one
    /// comparison of a whole text).
    var work = 0
    var seen: [Int] = []
    var generation = 0
    var live: [Int] = []
    var next: [Int] = []

    /// Readies the buffers for an automaton of `positions` positions.
    mutating func prepare(positions: Int) {
        generation += 1
        if seen.count < positions { seen += repeatElement(-1, count: positions - seen.count) }
        live.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
    }
}

