/// The patterns of a `.dockerignore` file and the exclusion decision for context paths.
public struct Dockerignore: Sendable, Equatable {
    public let patterns: [IgnorePattern]

    /// Compiles pattern lines as they appear after reading (see `read(_:)`).
    public init(patterns lines: [String]) throws(IgnorePatternError) {
        var out: [IgnorePattern] = []
        for line in lines {
            let t = String(GoText.trimSpace(line))
            if t.isEmpty { continue }
            out.append(try IgnorePattern(t))
        }
        patterns = out
        hasExclusions = out.contains { $0.isExclusion }
        var byFirst: [Unicode.Scalar: [Int]] = [:]
        var anyFirst: [Int] = []
        for (i, p) in out.enumerated() {
            if let c = p.firstScalar { byFirst[c, default: []].append(i) } else { anyFirst.append(i) }
        }
        patternsByFirst = byFirst
        patternsWithAnyFirst = anyFirst
    }

    /// Parses a `.dockerignore` file: BOM dropped, `#` lines skipped, lines trimmed, paths cleaned,
    /// a leading `/` removed.
    public static func read(_ text: String) throws(IgnorePatternError) -> Dockerignore {
        var lines: [String] = []
        var first = true
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(raw)
            if first, line.unicodeScalars.first == "\u{FEFF}" { line = Substring(line.unicodeScalars.dropFirst()) }
            first = false
            if line.hasPrefix("#") { continue }
            var p = String(GoText.trimSpace(line))
            if p.isEmpty { continue }
            let invert = p.hasPrefix("!")
            if invert { p = String(GoText.trimSpace(p.dropFirst())) }
            if !p.isEmpty {
                p = PathClean.clean(p)
                if p.count > 1, p.hasPrefix("/") { p.removeFirst() }
            }
            lines.append(invert ? "!" + p : p)
        }
        return try Dockerignore(patterns: lines)
    }

    /// True when some exclusion pattern could re-include something under `dir`, so a walker must descend
    /// into an excluded directory.
    public let hasExclusions: Bool
    /// Indexes (ascending) of the patterns that only match text starting with a given character.
    let patternsByFirst: [Unicode.Scalar: [Int]]
    /// Indexes (ascending) of the patterns that may match text starting with any character.
    let patternsWithAnyFirst: [Int]

    /// True when `path` (slash-separated, relative to the context root) is excluded: the last pattern that
    /// matches the path or one of its parent directories decides.
    public func excludes(_ path: String) -> Bool {
        var scratch = IgnoreScratch()
        return excludes(path, scratch: &scratch)
    }

    /// `excludes(_:)`, adding the matching steps taken to `scratch.work`.
    ///
    /// patternmatcher tries the patterns in order, skipping those that could not change the answer; that makes the
    /// last matching pattern decide, so the patterns are tried from the last one back and the first match ends the
    /// search. Only patterns that can match text starting with the path's first character are tried, and each
    /// one checks all of the path's parent directories in a single pass.
    func excludes(_ path: String, scratch: inout IgnoreScratch) -> Bool {
        let full = Array(path.unicodeScalars)
        let parentPath = PathClean.dir(path)
        let parent: [Unicode.Scalar]? = parentPath == "." ? nil : Array(parentPath.unicodeScalars)
        // The last characters of the parent directories' paths (what a pattern's last character must be among).
        var ends = Set<Unicode.Scalar>()
        if let parent {
            for (k, c) in parent.enumerated() where c == "/" && k > 0 { ends.insert(parent[k - 1]) }
            if let c = parent.last { ends.insert(c) }
        }
        // Candidate lists, each ascending; walked together from the end.
        var lists: [[Int]] = [patternsWithAnyFirst]
        if let c = full.first, let l = patternsByFirst[c] { lists.append(l) }
        if let c = parent?.first, c != full.first, let l = patternsByFirst[c] { lists.append(l) }
        var cursors = lists.map(\.count)
        while true {
            var pick = -1
            var best = -1
            for (j, l) in lists.enumerated() where cursors[j] > 0 && l[cursors[j] - 1] > best {
                best = l[cursors[j] - 1]
                pick = j
            }
            guard pick >= 0 else { return false }
            cursors[pick] -= 1
            let p = patterns[best]
            if p.matches(full, scratch: &scratch) { return !p.isExclusion }
            if let parent, p.matchesSomeParent(parent, ends: ends, scratch: &scratch) { return !p.isExclusion }
        }
    }
}
