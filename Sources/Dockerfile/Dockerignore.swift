import System

/// The patterns of a `.dockerignore` file and the exclusion decision for context paths.
public struct Dockerignore: Sendable, Equatable {
    public let patterns: [IgnorePattern]

    /// Compiles pattern lines as they appear after reading (see `read(_:)`).
    public init(patterns lines: [String]) throws(EstibaError) {
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
        var exact: [String: [Int]] = [:]
        var byName: [String: [Int]] = [:]
        for (i, p) in out.enumerated() {
            switch p.kind {
            case .exact:
                exact[p.pattern, default: []].append(i)
            case .suffix where p.scalars.contains("/"):
                let name = p.scalars.split(separator: "/", omittingEmptySubsequences: false).last ?? []
                byName[String(String.UnicodeScalarView(name)), default: []].append(i)
            default:
                if let c = p.firstScalar { byFirst[c, default: []].append(i) } else { anyFirst.append(i) }
            }
        }
        patternsByFirst = byFirst
        patternsWithAnyFirst = anyFirst
        lastScalars = out.map(\.lastScalar)
        exactPatterns = exact
        patternsByLastName = byName
    }

    /// The ignore file that applies to a build of `contextDirectory`: `<Dockerfile>.dockerignore` beside a
    /// Dockerfile read from `dockerfilePath` (default `<context>/Dockerfile`; nil for a Dockerfile given as text),
    /// else `<context>/.dockerignore`; nil when there is none. A file that does not parse names itself.
    public static func forBuild(contextDirectory: String, dockerfilePath: String?, textOnly: Bool) throws(EstibaError) -> Dockerignore? {
        var candidates: [String] = []
        if !textOnly { candidates.append((dockerfilePath ?? contextDirectory + "/Dockerfile") + ".dockerignore") }
        candidates.append(contextDirectory + "/.dockerignore")
        for path in candidates {
            guard let bytes = try? Files.read(path, upTo: 4 << 20) else { continue }
            do { return try read(String(decoding: bytes, as: UTF8.self)) } catch {
                throw error.adding(["file": path])
            }
        }
        return nil
    }

    /// Parses a `.dockerignore` file: BOM dropped, `#` lines skipped, lines trimmed, paths cleaned,
    /// a leading `/` removed.
    public static func read(_ text: String) throws(EstibaError) -> Dockerignore {
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
    /// Indexes (ascending) of the patterns not indexed below that only match text starting with a given
    /// character.
    let patternsByFirst: [Unicode.Scalar: [Int]]
    /// Indexes (ascending) of the patterns not indexed below that may match text starting with any character.
    let patternsWithAnyFirst: [Int]
    /// Each pattern's `lastScalar`, side by side, to pass over patterns without reading them.
    let lastScalars: [Unicode.Scalar?]
    /// Indexes of the exact patterns, by their text: a path finds the ones naming it or a parent by lookup.
    let exactPatterns: [String: [Int]]
    /// Indexes of the suffix patterns (`**/…/name`) by their last name, which a matching path's last name is.
    let patternsByLastName: [String: [Int]]

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
    /// search. Exact and `**/name` patterns are looked up by the path's parts; of the others, only those that can
    /// match text starting with the path's first character are tried, and each checks all of the path's parent
    /// directories in a single pass.
    func excludes(_ path: String, scratch: inout IgnoreScratch) -> Bool {
        let full = Array(path.unicodeScalars)
        let parentPath = PathClean.dir(path)
        let parent: [Unicode.Scalar]? = parentPath == "." ? nil : Array(parentPath.unicodeScalars)
        // The parent directories' paths and last names, and the last characters a pattern may end with.
        var ends: [Unicode.Scalar] = []
        var hits: [Int] = []
        func lookUp(_ text: ArraySlice<Unicode.Scalar>, start: Int) {
            hits += exactPatterns[String(String.UnicodeScalarView(text))] ?? []
            hits += patternsByLastName[String(String.UnicodeScalarView(text[start...]))] ?? []
        }
        lookUp(full[...], start: (full.lastIndex(of: "/") ?? -1) + 1)
        if let parent {
            var start = 0
            for k in 0...parent.count where k == parent.count || parent[k] == "/" {
                if k > 0, !ends.contains(parent[k - 1]) { ends.append(parent[k - 1]) }
                lookUp(parent[..<k], start: start)
                start = k + 1
            }
        }
        hits.sort()
        // Candidate lists, each ascending; walked together from the end.
        var lists: [[Int]] = [patternsWithAnyFirst, hits]
        if let c = full.first, let l = patternsByFirst[c] { lists.append(l) }
        if let c = parent?.first, c != full.first, let l = patternsByFirst[c] { lists.append(l) }
        var cursors = lists.map(\.count)
        var last = -1
        while true {
            var pick = -1
            var best = -1
            for j in lists.indices where cursors[j] > 0 && lists[j][cursors[j] - 1] > best {
                best = lists[j][cursors[j] - 1]
                pick = j
            }
            guard pick >= 0 else { return false }
            cursors[pick] -= 1
            if best == last { continue }  // a pattern found by more than one lookup
            last = best
            scratch.work += 1
            // What a match must end with rules most patterns out before they are read.
            let end = lastScalars[best]
            let tryFull = end == nil || end == full.last
            let tryParent = parent != nil && (end == nil || ends.contains { $0 == end })
            guard tryFull || tryParent else { continue }
            let found = patterns.withUnsafeBufferPointer { p in
                if tryFull, p[best].matches(full, scratch: &scratch) { return true }
                if tryParent, let parent, p[best].matchesSomeParent(parent, ends: ends, scratch: &scratch) { return true }
                return false
            }
            if found { return !patterns[best].isExclusion }
        }
    }
}
