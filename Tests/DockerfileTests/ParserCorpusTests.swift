import Foundation
import System
import Testing

@testable import Dockerfile

@Suite struct ParserCorpusTests {
    @Test func everyPositiveCaseDumpsLikeBuildKit() throws {
        guard let dir = Conformance.require() else { return }
        let cases = try Conformance.subdirectories(dir.appendingPathComponent("buildkit-parser/testfiles"))
        #expect(cases.count == 33)
        for c in cases {
            let text = try Conformance.read(c.appendingPathComponent("Dockerfile"))
            let expected = try Conformance.read(c.appendingPathComponent("result"))
            do {
                let parsed = try DockerfileParser.parseStrict(text)
                #expect(parsed.dump() == expected, "case \(c.lastPathComponent)")
            } catch {
                Issue.record("case \(c.lastPathComponent) failed to parse: \(error)")
            }
        }
    }

    @Test func everyNegativeCaseFails() throws {
        guard let dir = Conformance.require() else { return }
        let cases = try Conformance.subdirectories(dir.appendingPathComponent("buildkit-parser/testfiles-negative"))
        #expect(cases.count == 4)
        for c in cases {
            let text = try Conformance.read(c.appendingPathComponent("Dockerfile"))
            #expect(throws: EstibaError.self, "case \(c.lastPathComponent)") {
                try DockerfileParser.parseStrict(text)
            }
            #expect(!DockerfileParser.parse(text).errors.isEmpty)
        }
    }

    @Test func lineNumbersMatchBuildKit() throws {
        guard let dir = Conformance.require() else { return }
        let text = try Conformance.read(dir.appendingPathComponent("buildkit-parser/testfile-line/Dockerfile"))
        let parsed = try DockerfileParser.parseStrict(text)
        #expect(parsed.root.startLine == 5)
        #expect(parsed.root.endLine == 31)
        let lines = parsed.instructions.map { [$0.startLine, $0.endLine] }
        #expect(lines == [[5, 5], [11, 12], [17, 31]])
        // Ranges are 0-based for editors.
        #expect(parsed.ranges[1].start == SourcePosition(line: 10, character: 0))
        #expect(parsed.ranges[1].end == SourcePosition(line: 11, character: 3))
    }
}
