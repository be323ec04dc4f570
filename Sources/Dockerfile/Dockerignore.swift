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

    /// True when `path` (slash-separated, relative to the context root) is excluded: the last pattern that
    /// matches the path or one of its parent directories decides.
    public func excludes(_ path: String) -> Bool {
        var matched = false
        let parent = PathClean.dir(path)
        let parentDirs = parent.split(separator: "/", omittingEmptySubsequences: false)
        for p in patterns {
            if p.isExclusion != matched { continue }
            var m = p.matches(path)
            if !m, parent != "." {
                var prefix = ""
                for (i, d) in parentDirs.enumerated() {
                    prefix = i == 0 ? String(d) : prefix + "/" + d
                    if p.matches(prefix) {
                        m = true
                        break
                    }
                }
            }
            if m { matched = !p.isExclusion }
        }
        return matched
    }

    /// True when some exclusion pattern could re-include something under `dir`, so a walker must descend
    /// into an excluded directory.
    public var hasExclusions: Bool { patterns.contains { $0.isExclusion } }
}
