import Dockerfile
import System
import Testing

/// Flags are judged as BuildKit's instruction parser judges them, and reported at parse time in its words.
@Suite struct FlagRulesTests {
    func errors(_ text: String) -> [String] {
        DockerfileAnalysis(DockerfileParser.parse(text)).diagnostics.filter { $0.severity == .error }.map(\.message)
    }

    @Test func aStringFlagWithoutValueIsRefusedAsBuildKitDoes() {
        #expect(errors("FROM busybox AS a\nFROM busybox\nCOPY --from a /x /y\n") == ["missing a value on flag: --from"])
        #expect(errors("FROM busybox\nRUN --network echo hi\n") == ["missing a value on flag: --network"])
        #expect(errors("FROM --platform busybox\n") == ["missing a value on flag: --platform"])
        #expect(errors("FROM busybox AS a\nFROM busybox\nCOPY --from=a /x /y\n").isEmpty)
    }

    @Test func booleansUnknownsAndDuplicatesAreJudgedAsBuildKitDoes() {
        #expect(errors("FROM busybox\nCOPY --link a /b\n").isEmpty)
        #expect(errors("FROM busybox\nCOPY --link=false a /b\n").isEmpty)
        #expect(errors("FROM busybox\nCOPY --link= a /b\n") == ["missing a value on flag: --link"])
        #expect(errors("FROM busybox\nCOPY --link=maybe a /b\n") == ["expecting boolean value for flag --link, not: maybe"])
        #expect(errors("FROM busybox\nCOPY --chmod=600 --chmod=644 a /b\n") == ["duplicate flag specified: --chmod"])
        #expect(errors("FROM busybox\nRUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b true\n").isEmpty)
        #expect(errors("FROM busybox\nCOPY --form=a x /b\n") == ["unknown flag: --form (did you mean from?)"])
        #expect(errors("FROM busybox\nCOPY --bogus=a x /b\n") == ["unknown flag: --bogus"])
        #expect(errors("FROM busybox\nWORKDIR --x=1 /a\n") == ["unknown flag: --x"])
        // STOPSIGNAL's flags are never read; HEALTHCHECK NONE's neither.
        #expect(errors("FROM busybox\nSTOPSIGNAL --x SIGTERM\n").isEmpty)
        #expect(errors("FROM busybox\nHEALTHCHECK --interval NONE\n").isEmpty)
        #expect(errors("FROM busybox\nHEALTHCHECK --interval CMD true\n") == ["missing a value on flag: --interval"])
    }

    @Test func argumentCountsComeFirstWhereBuildKitChecksThemFirst() {
        // COPY checks its arguments before its flags; RUN its flags first.
        #expect(errors("FROM busybox\nCOPY --from x\n") == ["COPY requires at least two arguments, but only 1 provided"])
        #expect(errors("FROM busybox\nRUN --bogus=1\n") == ["unknown flag: --bogus"])
    }

    @Test func aBareRunIsAcceptedAsBuildKitDoes() {
        #expect(errors("FROM busybox\nRUN\n").isEmpty)
    }

    @Test func theBuildRefusesAStringFlagWithoutValue() {
        let parsed = DockerfileParser.parse("FROM busybox AS a\nFROM busybox\nCOPY --from a /x /y\n")
        let failure = #expect(throws: EstibaError.self) { _ = try TypedInstruction(parsed.instructions[2]) }
        #expect(failure?.message.hasPrefix("missing a value on flag: --from") == true)
    }
}
