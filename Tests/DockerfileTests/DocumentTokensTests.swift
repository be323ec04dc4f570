import Testing

@testable import Dockerfile

/// Semantic tokens and formatting.
@Suite struct DocumentTokensTests {
    func query(_ text: String) -> DocumentQuery { DocumentQuery(text: text, analysis: DockerfileAnalysis(DockerfileParser.parse(text))) }

    @Test func tokensColourCommentsKeywordsFlagsStagesImagesAndVariables() {
        let text = "# a comment\nARG V=1\nFROM busybox AS build\nCOPY --from=build --chmod=644 $V /x\n"
        let tokens = query(text).semanticTokens().map { "\($0.line):\($0.start)+\($0.length) \($0.kind.name)\($0.isDeclaration ? "*" : "")" }
        #expect(
            tokens == [
                "0:0+11 comment", "1:0+3 keyword", "1:4+1 variable*", "2:0+4 keyword", "2:5+7 class", "2:13+2 keyword", "2:16+5 namespace*",
                "3:0+4 keyword", "3:5+6 parameter", "3:12+5 namespace", "3:18+7 parameter", "3:31+1 variable",
            ], "\(tokens)")
    }

    @Test func formattingUppercasesKeywordsAndIndentsContinuationsButNotHeredocs() {
        let text = "from busybox\nrun apt-get update && \\\n  apt-get install -y curl \\\n        git\nRUN <<EOF\n  keep  \nEOF\nonbuild run true\n"
        let edits = query(text).formattingEdits(indent: "    ").map { "\($0.range.start.line):\($0.range.start.character)-\($0.range.end.character) \($0.newText)" }
        #expect(edits == ["0:0-4 FROM", "1:0-3 RUN", "2:0-2     ", "3:0-8     ", "7:0-7 ONBUILD", "7:8-11 RUN"], "\(edits)")
        #expect(query("FROM busybox\nRUN a \\\n    b\n").formattingEdits(indent: "    ").isEmpty)
    }
}
