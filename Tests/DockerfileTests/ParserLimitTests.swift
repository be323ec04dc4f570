import Testing

@testable import Dockerfile

/// Nesting the parser handles by recursion is bounded: deeper input is a syntax error, never a crash.
@Suite struct ParserLimitTests {
    @Test func onbuildNestedThousandsDeepIsASyntaxError() {
        let p = DockerfileParser.parse("FROM scratch\n" + String(repeating: "ONBUILD ", count: 8_000) + "RUN x\n")
        #expect(p.errors.count == 1)
        #expect(p.errors.first?.message.contains("ONBUILD is nested more than \(InstructionParser.maxOnbuildNesting) deep") == true)
        #expect(p.instructions.count == 1)
    }

    @Test func onbuildWithinTheLimitStillParses() {
        let p = DockerfileParser.parse("FROM scratch\nONBUILD ONBUILD RUN x\n")
        #expect(p.errors.isEmpty)
        #expect(p.instructions.count == 2)
        #expect(p.instructions.last?.next.first?.children.first?.value.lowercased() == "onbuild")
    }
}
