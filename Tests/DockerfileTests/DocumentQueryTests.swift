import Testing

@testable import Dockerfile

/// What an editor asks about a Dockerfile: what a position is on, the variables in scope, what may be typed, the
/// outline and the folds.
@Suite struct DocumentQueryTests {
    static let text = """
        # base image
        # and its version
        ARG BASE=busybox
        ARG TAG
        FROM ${BASE} AS build
        ARG TAG=1.0
        ENV APP=/app \\
            MODE=fast
        RUN echo $APP ${MODE:-slow} $NOPE
        FROM build
        COPY --from=build --chmod=644 /app /app
        """

    func query(_ text: String = text) -> DocumentQuery { DocumentQuery(text: text, analysis: DockerfileAnalysis(DockerfileParser.parse(text))) }
    func at(_ line: Int, _ character: Int) -> SourcePosition { SourcePosition(line: line, character: character) }

    /// Lines end at LF, CR or CRLF (one break), in UTF-16 units, as LSP counts them.
    @Test func linesEndAtEveryKindOfBreak() {
        let lines = TextLines("a\r\nb\rc\n\nd€😀\r")
        #expect(lines.map { String(decoding: $0, as: UTF16.self) } == ["a", "b", "c", "", "d€😀", ""])
        #expect(lines[4].count == 4 && TextLines("").count == 1 && TextLines("x").map(\.count) == [1])
        let q = query("FROM busybox\r\nRUN true\r\nCOPY a /b\n")
        #expect(q.instruction(at: 1) == 1 && q.instruction(at: 2) == 2 && q.instruction(at: 3) == nil)
        guard case .keyword(.copy, _)? = q.target(at: at(2, 1)) else { Issue.record("\(String(describing: q.target(at: at(2, 1))))"); return }
    }

    @Test func targetsAreKeywordsFlagsVariablesImagesAndStages() {
        let q = query()
        guard case .keyword(.run, let r)? = q.target(at: at(8, 1)) else { Issue.record("\(String(describing: q.target(at: at(8, 1))))"); return }
        #expect(r.start.character == 0 && r.end.character == 3)
        #expect(q.target(at: at(8, 11)) == .variable("APP", instruction: 5, SourceRange(start: at(8, 9), end: at(8, 13))))
        guard case .variable("MODE", _, let m)? = q.target(at: at(8, 16)) else { Issue.record("MODE"); return }
        #expect(m.start.character == 14 && m.end.character == 27)
        guard case .flag("chmod", .copy, _)? = q.target(at: at(10, 22)) else { Issue.record("\(String(describing: q.target(at: at(10, 22))))"); return }
        guard case .stage("build", _)? = q.target(at: at(10, 14)) else { Issue.record("\(String(describing: q.target(at: at(10, 14))))"); return }
        guard case .stage("build", _)? = q.target(at: at(9, 6)) else { Issue.record("FROM build"); return }
        guard case .variable("BASE", _, _)? = q.target(at: at(4, 7)) else { Issue.record("FROM ${BASE}"); return }
        let plain = query("FROM busybox:1.36\n")
        guard case .baseImage("busybox:1.36", _)? = plain.target(at: at(0, 8)) else { Issue.record("image"); return }
        #expect(q.target(at: at(0, 3)) == nil)
    }

    @Test func variablesInScopeFollowArgAndEnvRules() {
        let q = query()
        // At FROM: the global ARGs.
        #expect(q.variables(at: 2).map(\.name) == ["BASE", "TAG"])
        // In the stage, at RUN: TAG redeclared with a default, APP and MODE from ENV; BASE is not in scope.
        let run = q.variables(at: 5)
        #expect(run.map(\.name) == ["APP", "MODE", "TAG"])
        #expect(run.first { $0.name == "TAG" }?.value == "1.0")
        #expect(run.first { $0.name == "MODE" }?.value == "fast")
        #expect(run.first { $0.name == "APP" }?.line == 6)
        // A redeclared global ARG without default keeps the global one.
        let inherit = query("ARG V=3\nFROM x\nARG V\nRUN echo $V\n")
        #expect(inherit.variables(at: 3).first?.value == "3")
    }

    @Test func completionsDependOnWhereTheyAreAsked() {
        let q = query()
        let start = query(Self.text + "\n").completions(at: at(11, 0))
        #expect(start.candidates.contains { $0.label == "HEALTHCHECK" && $0.kind == .keyword })
        let partial = query("FROM x\nRU")
        #expect(partial.completions(at: at(1, 2)).prefix == "RU")
        let flags = query("FROM x\nCOPY --").completions(at: at(1, 7))
        #expect(flags.candidates.map(\.label).contains("--from") && flags.candidates.map(\.label).contains("--link"))
        #expect(flags.candidates.first { $0.label == "--from" }?.insertText == "--from=")
        #expect(flags.candidates.first { $0.label == "--link" }?.insertText == "--link")
        let stage = query("FROM x AS one\nFROM y AS two\nCOPY --from=o").completions(at: at(2, 13))
        #expect(stage.candidates.map(\.label) == ["one", "two"] && stage.wantsImages && stage.prefix == "o")
        let variable = q.completions(at: at(8, 33))
        #expect(variable.candidates.map(\.label) == ["APP", "MODE", "TAG"], "\(variable)")
        let image = query("ARG X\nFROM ").completions(at: at(1, 5))
        #expect(image.wantsImages)
        // COPY/ADD sources come from the context: the first argument, or one with another after it; not the
        // destination at the end, not from a stage, not in the JSON form.
        #expect(query("FROM x\nCOPY src/a").completions(at: at(1, 10)).wantsContextPaths)
        #expect(query("FROM x\nADD a b /d").completions(at: at(1, 7)).wantsContextPaths)
        #expect(!query("FROM x\nCOPY a /d").completions(at: at(1, 9)).wantsContextPaths)
        #expect(!query("FROM x AS s\nFROM y\nCOPY --from=s a /d").completions(at: at(2, 19)).wantsContextPaths)
        #expect(!query("FROM x\nCOPY [\"a\", \"/d\"]").completions(at: at(1, 9)).wantsContextPaths)
        #expect(!query("FROM x\nRUN a b").completions(at: at(1, 5)).wantsContextPaths)
        // Inside a RUN's arguments nothing is offered; a continuation line is no place for an instruction.
        #expect(q.completions(at: at(8, 6)).candidates.isEmpty)
        #expect(q.completions(at: at(7, 4)).candidates.isEmpty)
    }

    @Test func theOutlineHasStagesWithTheirInstructionsAndTheFoldsCoverThem() {
        let q = query()
        let outline = q.outline()
        #expect(outline.map(\.name) == ["ARG BASE=busybox", "ARG TAG", "build", "stage 1"])
        #expect(outline[2].kind == .stage && outline[2].detail == "FROM ${BASE}")
        #expect(outline[2].children.count == 4)
        #expect(outline[2].range.start.line == 4 && outline[2].range.end.line == 8)
        #expect(outline[3].children.map(\.name) == ["FROM build", "COPY --from=build --chmod=644 /app /app"])
        let folds = q.foldingRegions()
        #expect(folds.contains(FoldingRegion(startLine: 0, endLine: 1, isComment: true)))
        #expect(folds.contains(FoldingRegion(startLine: 4, endLine: 8, isComment: false)))
        #expect(folds.contains(FoldingRegion(startLine: 6, endLine: 7, isComment: false)))
        #expect(folds.contains(FoldingRegion(startLine: 9, endLine: 10, isComment: false)))
    }
}
