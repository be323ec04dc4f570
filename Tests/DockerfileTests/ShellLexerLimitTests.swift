import System
import Testing

@testable import Dockerfile

/// Hostile words give errors or results, never a crash.
@Suite struct ShellLexerLimitTests {
    @Test func deeplyNestedSubstitutionIsAnError() {
        let lexer = ShellLexer(escapeToken: "\\")
        let word = String(repeating: "${a:-", count: 25_000) + "x" + String(repeating: "}", count: 25_000)
        #expect(throws: EstibaError.self) { try lexer.processWord(word, env: [:]) }
        let open = String(repeating: "${a:-", count: 25_000)
        do {
            _ = try lexer.processWords(open, env: [:])
            Issue.record("an unclosed 25,000-deep substitution expanded")
        } catch {
            #expect(error.message.contains("nested more than \(ShellLexer.maxNesting) deep"))
        }
    }

    @Test func nestingUpToTheLimitExpands() throws {
        let lexer = ShellLexer(escapeToken: "\\")
        let n = ShellLexer.maxNesting
        let word = String(repeating: "${a:-", count: n) + "x" + String(repeating: "}", count: n)
        #expect(try lexer.processWord(word, env: [:]) == "x")
    }

    @Test func longPatternsMatchWithoutDeepRecursion() throws {
        let lexer = ShellLexer(escapeToken: "\\")
        let long = String(repeating: "ab", count: 200_000)
        #expect(try lexer.processWord("${v#" + long + "}", env: ["v": long + "tail"]) == "tail")
        #expect(try lexer.processWord("${v%*b}", env: ["v": "aabab"]) == "aaba")
        #expect(try lexer.processWord("${v%%b*}", env: ["v": "aabab"]) == "aa")
        #expect(try lexer.processWord("${v#*a?}", env: ["v": "xyabcab"]) == "cab")
        #expect(try lexer.processWord("${v##*a?}", env: ["v": "xyabcab"]) == "")
        #expect(try lexer.processWord("${v/a*c/-}", env: ["v": "xabcabcy"]) == "x-y")
    }
}
