import EstibaJSON
import Foundation
import System
import Testing

@testable import Dockerfile

@Suite struct DockerignoreTests {
    @Test func patternmatcherVectors() throws {
        guard let dir = Conformance.require() else { return }
        let text = try Conformance.read(dir.appendingPathComponent("dockerignore-cases.tsv"))
        var count = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count == 3 else { Issue.record("bad row: \(line)"); continue }
            let patterns = try JSONValue.parse(String(cols[0])).arrayValue?.compactMap(\.stringValue) ?? []
            let ignore = try Dockerignore(patterns: patterns)
            #expect(ignore.excludes(String(cols[1])) == (cols[2] == "true"), "\(cols[0]) vs \(cols[1])")
            count += 1
        }
        #expect(count == 72)
    }

    @Test func readsIgnoreFiles() throws {
        let ig = try Dockerignore.read("\u{FEFF}# comment\n  \n/node_modules\n*.log\n! keep.log\n  #notacomment\nsub/../tmp/\n")
        #expect(ig.patterns.map(\.pattern) == ["node_modules", "*.log", "keep.log", "#notacomment", "tmp"])
        #expect(ig.excludes("node_modules/x/y.js"))
        #expect(ig.excludes("a.log"))
        #expect(!ig.excludes("keep.log"))
        #expect(ig.excludes("tmp/file"))
        #expect(!ig.excludes("src/main.c"))
    }

    @Test func rejectsMalformedPatterns() {
        #expect(throws: EstibaError.self) { try Dockerignore(patterns: ["!"]) }
        #expect(throws: EstibaError.self) { try Dockerignore(patterns: ["a[b"]) }
        #expect(throws: EstibaError.self) { try Dockerignore(patterns: ["a\\"]) }
    }

    /// Paths of a small context: a few hundred entries up to five levels deep.
    static let contextPaths: [String] = {
        var out: [String] = []
        for d in 0..<10 {
            for s in 0..<6 {
                out.append("d\(d)/sub\(s)")
                for f in 0..<5 { out.append("d\(d)/sub\(s)/deep/x/file\(f).txt") }
            }
        }
        out.append(String(repeating: "a/", count: 60) + "y")
        out.append(String(repeating: "a", count: 200))
        out.append("x")
        return out
    }()

    /// Matches every context path, checking the steps taken stay linear: at most, each pattern runs twice (the
    /// path and its parents), over (2 × pattern length + 2) positions per character, plus a step per pattern and
    /// per parent directory.
    static func expectLinearWork(_ ignore: Dockerignore, paths: [String] = contextPaths) -> [Bool] {
        let perCharacter = ignore.patterns.reduce(0) { sum, p in sum + 2 * (2 * p.pattern.unicodeScalars.count + 4) }
        var results: [Bool] = []
        for path in paths {
            var scratch = IgnoreScratch()
            results.append(ignore.excludes(path, scratch: &scratch))
            #expect(scratch.work <= perCharacter * (path.unicodeScalars.count + 1), "\(scratch.work) steps for \(path)")
        }
        return results
    }

    @Test func nestedDoubleStarsMatchInLinearSteps() throws {
        let stars = String(repeating: "**/", count: 1000)
        // One pattern, and a thousand lines of it; nothing is called x1…, so only "x" and paths under it match.
        let one = try Dockerignore(patterns: [stars + "x"])
        #expect(Self.expectLinearWork(one) == Self.contextPaths.map { $0.hasSuffix("/x") || $0 == "x" || $0.contains("/x/") })
        let lines = try Dockerignore(patterns: (0..<1000).map { stars + "x\($0)" } + [stars + "file1.txt"])
        #expect(Self.expectLinearWork(lines) == Self.contextPaths.map { $0.hasSuffix("/file1.txt") })
        // Runs of `**/` that cannot merge, and `*` runs against a long name.
        let alternating = try Dockerignore(patterns: [String(repeating: "**/a/", count: 40) + "y"])
        #expect(Self.expectLinearWork(alternating) == Self.contextPaths.map { $0.hasSuffix("a/y") })
        let stars2 = try Dockerignore(patterns: [String(repeating: "*a", count: 300) + "b", String(repeating: "*/", count: 300) + "z"])
        #expect(Self.expectLinearWork(stars2).allSatisfy { !$0 })
        let dirs = try Dockerignore(patterns: [String(repeating: "d*/", count: 100) + "**"])
        #expect(Self.expectLinearWork(dirs).allSatisfy { !$0 })
    }

    @Test func fiftyThousandPatternsMatchInLinearSteps() throws {
        var lines: [String] = []
        for i in 0..<50_000 {
            switch i % 4 {
            case 0: lines.append("d\(i % 10)/sub\(i % 7)/gen\(i)*.o")
            case 1: lines.append("**/cache\(i)")
            case 2: lines.append("*.ext\(i)")
            default: lines.append("!d\(i % 10)/keep\(i)")
            }
        }
        lines.append("d3/sub2")
        lines.append("!d3/sub2/deep/x/file4.txt")
        let ignore = try Dockerignore.read(lines.joined(separator: "\n"))
        #expect(ignore.patterns.count == 50_002)
        #expect(ignore.hasExclusions)
        let results = Self.expectLinearWork(ignore)
        let expected = Self.contextPaths.map { $0.hasPrefix("d3/sub2") && $0 != "d3/sub2/deep/x/file4.txt" }
        #expect(results == expected)
        // Trying the patterns from the last one back stops at the first match.
        var scratch = IgnoreScratch()
        #expect(ignore.excludes("d3/sub2/deep/x/file1.txt", scratch: &scratch))
        #expect(scratch.work < 10)
    }

    /// The plain backtracking reading of a glob (exponential in the worst case; fine for short patterns).
    static func reference(_ tokens: [IgnorePattern.Token], _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let t = tokens.first else { return s.isEmpty }
        let rest = Array(tokens.dropFirst())
        switch t {
        case .literal(let c): return s.first == c && reference(rest, s.dropFirst())
        case .notSlash: return s.first.map { $0 != "/" } == true && reference(rest, s.dropFirst())
        case .charClass(let cls): return s.first.map { cls.contains($0) } == true && reference(rest, s.dropFirst())
        case .notSlashRun:
            var k = s.startIndex
            while true {
                if reference(rest, s[k...]) { return true }
                guard k < s.endIndex, s[k] != "/" else { return false }
                k += 1
            }
        case .anything: return (s.startIndex...s.endIndex).contains { reference(rest, s[$0...]) }
        case .anyDirs:
            if reference(rest, s) { return true }
            return s.indices.contains { s[$0] == "/" && reference(rest, s[($0 + 1)...]) }
        }
    }

    @Test func automatonAgreesWithBacktracking() throws {
        var rng = ParserHalvesFuzzTests.Generator(state: 7)
        let pieces = ["a", "b", "/", "*", "**", "**/", "?", "[ab]", "[^a]", "\\*", "."]
        let letters: [Character] = ["a", "b", "/", "*"]
        var compared = 0
        for _ in 0..<3000 {
            let pattern = (0..<Int.random(in: 0..<7, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "a" }.joined()
            guard let p = try? IgnorePattern(pattern), case .glob(let tokens) = p.kind else { continue }
            for _ in 0..<10 {
                let path = String((0..<Int.random(in: 0..<9, using: &rng)).map { _ in letters.randomElement(using: &rng) ?? "a" })
                let scalars = Array(path.unicodeScalars)
                #expect(p.matches(path) == Self.reference(tokens, scalars[...]), "\(pattern) vs \(path)")
                // The one-pass parent check agrees with trying each parent directory.
                var scratch = IgnoreScratch()
                let parents = scalars.indices.filter { scalars[$0] == "/" }.map { Array(scalars[..<$0]) } + [scalars]
                #expect(p.matchesSomeParent(scalars, ends: parents.compactMap(\.last), scratch: &scratch) == parents.contains { Self.reference(tokens, $0[...]) }, "\(pattern) vs parents of \(path)")
                compared += 1
            }
        }
        #expect(compared > 1000)
    }

    @Test func indexedSearchAgreesWithPatternOrder() throws {
        var rng = ParserHalvesFuzzTests.Generator(state: 11)
        let pieces = ["a", "b", "a/b", "**/", "**/a", "*", "b*", "?", "!", "!a", "x/"]
        let letters: [Character] = ["a", "b", "/", "x"]
        for _ in 0..<2000 {
            let lines = (0..<Int.random(in: 1..<6, using: &rng)).map { _ in
                (0..<Int.random(in: 1..<4, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "a" }.joined()
            }
            guard let ignore = try? Dockerignore(patterns: lines) else { continue }
            for _ in 0..<8 {
                let path = String((0..<Int.random(in: 1..<8, using: &rng)).map { _ in letters.randomElement(using: &rng) ?? "a" })
                // patternmatcher's loop: every pattern in order, each parent directory tried one by one.
                var matched = false
                let parent = PathClean.dir(path)
                let dirs = parent.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                for p in ignore.patterns where p.isExclusion == matched {
                    var m = p.matches(path)
                    if !m, parent != "." {
                        m = dirs.indices.contains { p.matches(dirs[...$0].joined(separator: "/")) }
                    }
                    if m { matched = !p.isExclusion }
                }
                #expect(ignore.excludes(path) == matched, "\(lines) vs \(path)")
            }
        }
    }

    @Test func pathClean() {
        #expect(PathClean.clean("a/./b/../c/") == "a/c")
        #expect(PathClean.clean("/../x") == "/x")
        #expect(PathClean.clean("../../x") == "../../x")
        #expect(PathClean.clean("") == ".")
        #expect(PathClean.dir("a/b/c") == "a/b")
        #expect(PathClean.dir("c") == ".")
    }
}

