import Testing

@testable import Dockerfile

/// Stage names and variables followed through a Dockerfile.
@Suite struct DocumentNavigationTests {
    static let text = """
        ARG BASE=busybox
        FROM $BASE AS Build
        ARG OUT=/out
        ENV DIR=$OUT/bin MODE=fast
        RUN mkdir -p ${DIR} && echo $MODE > $OUT/mode
        FROM build AS final
        COPY --from=build $BASE /x
        """

    let q = DocumentQuery(text: text, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
    func at(_ l: Int, _ c: Int) -> SourcePosition { SourcePosition(line: l, character: c) }
    func spans(_ o: [DocumentQuery.Occurrence]) -> [String] {
        o.map { "\($0.range.start.line):\($0.range.start.character)-\($0.range.end.character)\($0.isDeclaration ? "*" : "")" }
    }

    @Test func stagesAreFoundFromTheirDeclarationAndEveryUse() {
        #expect(q.symbol(at: at(1, 15)) == .stage("build"))
        #expect(q.symbol(at: at(6, 14)) == .stage("build"))
        #expect(spans(q.occurrences(of: .stage("build"))) == ["1:14-19*", "5:5-10", "6:12-17"])
        #expect(q.definition(of: .stage("build"))?.start == at(1, 14))
    }

    @Test func variablesAreFoundInTheirScope() {
        // OUT: declared in the stage, used in ENV and RUN.
        #expect(q.symbol(at: at(4, 38)) == .variable("OUT", stage: 0))
        #expect(spans(q.occurrences(of: .variable("OUT", stage: 0))) == ["2:4-7*", "3:9-12", "4:37-40"])
        #expect(spans(q.occurrences(of: .variable("DIR", stage: 0))) == ["3:4-7*", "4:15-18"])
        #expect(spans(q.occurrences(of: .variable("MODE", stage: 0))) == ["3:17-21*", "4:29-33"])
        // The global BASE: its declaration and the FROM line; the COPY's $BASE in the last stage is another scope.
        #expect(spans(q.occurrences(of: .variable("BASE", stage: nil))) == ["0:4-8*", "1:6-10"])
        #expect(q.symbol(at: at(6, 20)) == .variable("BASE", stage: 1))
        #expect(q.definition(of: .variable("BASE", stage: 1)) == nil)
    }
}
