import System

/// A shell glob (`*`, `?`, `\x`) as used by `${x#p}`, `${x%p}` and `${x/p/r}`.
struct ShellPattern {
    enum Token: Equatable {
        case literal(Unicode.Scalar)
        case any  // *
        case one  // ?
    }

    let tokens: [Token]
    /// Characters a match takes besides what `*` takes, and whether there is a `*`: a text of another length
    /// is refused at once.
    let fixedLength: Int
    let hasStar: Bool

    init(_ pattern: String) throws(EstibaError) {
        var out: [Token] = []
        let u = Array(pattern.unicodeScalars)
        var i = 0
        while i < u.count {
            let c = u[i]
            switch c {
            case "*": out.append(.any)
            case "?": out.append(.one)
            case "\\":
                // `\}` and `\/` inside ${} are escapes of the substitution syntax, not of the pattern.
                if i + 1 < u.count, u[i + 1] == "}" || u[i + 1] == "/" { break }
                guard i + 1 < u.count, ["*", "?", "\\"].contains(u[i + 1]) else {
                    let bad = i + 1 < u.count ? String(u[i + 1]) : ""
                    throw EstibaError.expansion("invalid pattern (\(pattern)) in substitution: invalid escape '\\\(bad)'")
                }
                out.append(.literal(u[i + 1]))
                i += 1
            default: out.append(.literal(c))
            }
            i += 1
        }
        self.init(tokens: out)
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
        let stars = tokens.reduce(0) { $0 + ($1 == .any ? 1 : 0) }
        fixedLength = tokens.count - stars
        hasStar = stars > 0
    }

    /// True when `s[from..<to]` matches the whole pattern. Iterative (a long pattern cannot exhaust the stack):
    /// on a mismatch it retries from the last `*`, letting it take one more character.
    func matches(_ s: [Unicode.Scalar], _ from: Int, _ to: Int) -> Bool {
        let length = to - from
        if length < fixedLength || (!hasStar && length != fixedLength) { return false }
        var t = 0
        var i = from
        var star: (token: Int, index: Int)?
        while i < to {
            if t < tokens.count, tokens[t] == .any {
                star = (t, i)
                t += 1
                continue
            }
            if t < tokens.count, tokens[t] == .one || tokens[t] == .literal(s[i]) {
                t += 1
                i += 1
                continue
            }
            guard let last = star else { return false }
            star = (last.token, last.index + 1)
            t = last.token + 1
            i = last.index + 1
        }
        while t < tokens.count, tokens[t] == .any { t += 1 }
        return t == tokens.count
    }

    func trimPrefix(_ value: String, greedy: Bool) -> String {
        let s = Array(value.unicodeScalars)
        let ends = greedy ? Array(stride(from: s.count, through: 0, by: -1)) : Array(0...s.count)
        for e in ends where matches(s, 0, e) {
            return String(String.UnicodeScalarView(s[e...]))
        }
        return value
    }

    func trimSuffix(_ value: String, greedy: Bool) -> String {
        let s = Array(value.unicodeScalars)
        let starts = greedy ? Array(0...s.count) : Array(stride(from: s.count, through: 0, by: -1))
        for b in starts where matches(s, b, s.count) {
            return String(String.UnicodeScalarView(s[..<b]))
        }
        return value
    }

    /// Replaces the leftmost-longest match (or every match) of the pattern.
    func replace(in value: String, with replacement: String, all: Bool) -> String {
        let s = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var replaced = false
        while i <= s.count {
            if !replaced || all, let end = longestMatch(s, at: i) {
                out.append(contentsOf: replacement.unicodeScalars)
                replaced = true
                if end > i {
                    i = end
                    continue
                }
            }
            if i < s.count { out.append(s[i]) }
            i += 1
        }
        return String(out)
    }

    private func longestMatch(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        var e = s.count
        while e >= i {
            if matches(s, i, e) { return e }
            e -= 1
        }
        return nil
    }
}
