import Testing

@testable import Dockerfile

/// Quick fixes: each rule's own edit, and skipping a build check with the `# check=skip=` directive.
@Suite struct DocumentFixesTests {
    func fixes(_ text: String, _ code: String, line: Int) -> [DocumentFix] {
        let q = DocumentQuery(text: text, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
        let r = SourceRange(start: SourcePosition(line: line, character: 0), end: SourcePosition(line: line, character: 1))
        return q.fixes(code: code, range: r)
    }

    /// `text` with `fix`'s edits applied (single-line edits, as these are, applied from the last).
    func applied(_ text: String, _ fix: DocumentFix) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).utf16) }
        for e in fix.edits.sorted(by: { $0.range.start > $1.range.start }) {
            let l = e.range.start.line
            if e.range.end.line > l {
                let tail = lines[e.range.end.line][e.range.end.character...]
                lines.replaceSubrange(l...e.range.end.line, with: [Array(lines[l][..<e.range.start.character]) + Array(e.newText.utf16) + tail])
            } else {
                lines[l].replaceSubrange(e.range.start.character..<e.range.end.character, with: Array(e.newText.utf16))
            }
        }
        return lines.map { String(decoding: $0, as: UTF16.self) }.joined(separator: "\n")
    }

    @Test func eachRuleFixesWhatItFound() throws {
        let casing = try #require(fixes("FROM busybox as base\n", "FromAsCasing", line: 0).first)
        #expect(casing.isPreferred && applied("FROM busybox as base\n", casing) == "FROM busybox AS base\n")
        let stage = try #require(fixes("FROM busybox AS Base\n", "StageNameCasing", line: 0).first)
        #expect(applied("FROM busybox AS Base\n", stage) == "FROM busybox AS base\n")
        let maintainer = try #require(fixes("FROM x\nMAINTAINER Ana <ana@example.org>\n", "MaintainerDeprecated", line: 1).first)
        #expect(applied("FROM x\nMAINTAINER Ana <ana@example.org>\n", maintainer) == "FROM x\nLABEL org.opencontainers.image.authors=\"Ana <ana@example.org>\"\n")
        let exec = try #require(fixes("FROM x\nCMD nginx -g daemon-off\n", "JSONArgsRecommended", line: 1).first)
        #expect(applied("FROM x\nCMD nginx -g daemon-off\n", exec) == "FROM x\nCMD [\"nginx\", \"-g\", \"daemon-off\"]\n")
        // Shell syntax would change meaning in exec form: no rule fix, only the skip.
        #expect(fixes("FROM x\nCMD echo $HOME | tee a\n", "JSONArgsRecommended", line: 1).map(\.title) == ["Skip the JSONArgsRecommended check in this file"])
        let legacy = try #require(fixes("FROM x\nENV GREETING hello world\n", "LegacyKeyValueFormat", line: 1).first)
        #expect(applied("FROM x\nENV GREETING hello world\n", legacy) == "FROM x\nENV GREETING=\"hello world\"\n")
        let lower = try #require(fixes("FROM x\nrun true\nRUN true\nRUN false\n", "ConsistentInstructionCasing", line: 1).first)
        #expect(applied("FROM x\nrun true\nRUN true\nRUN false\n", lower) == "FROM x\nRUN true\nRUN true\nRUN false\n")
        // Estiba's own codes have no skip.
        #expect(fixes("FROM x\nFROBNICATE\n", "syntax-error", line: 1).isEmpty)
    }

    @Test func skippingACheckAddsOrExtendsTheDirective() throws {
        let added = try #require(fixes("FROM busybox as base\n", "FromAsCasing", line: 0).last)
        #expect(!added.isPreferred)
        #expect(applied("FROM busybox as base\n", added) == "# check=skip=FromAsCasing\nFROM busybox as base\n")
        let after = try #require(fixes("# syntax=docker/dockerfile:1\nFROM busybox as base\n", "FromAsCasing", line: 1).last)
        #expect(applied("# syntax=docker/dockerfile:1\nFROM busybox as base\n", after) == "# syntax=docker/dockerfile:1\n# check=skip=FromAsCasing\nFROM busybox as base\n")
        let text = "# check=skip=StageNameCasing;error=true\nFROM busybox as base\n"
        let extended = try #require(fixes(text, "FromAsCasing", line: 1).last)
        #expect(applied(text, extended) == "# check=skip=StageNameCasing,FromAsCasing;error=true\nFROM busybox as base\n")
        let errorOnly = "# check=error=true\nFROM busybox as base\n"
        let inserted = try #require(fixes(errorOnly, "FromAsCasing", line: 1).last)
        #expect(applied(errorOnly, inserted) == "# check=skip=FromAsCasing;error=true\nFROM busybox as base\n")
    }
}
