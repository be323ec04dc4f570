import EstibaJSON
import Foundation
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
        #expect(throws: IgnorePatternError.self) { try Dockerignore(patterns: ["!"]) }
        #expect(throws: IgnorePatternError.self) { try Dockerignore(patterns: ["a[b"]) }
        #expect(throws: IgnorePatternError.self) { try Dockerignore(patterns: ["a\\"]) }
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
