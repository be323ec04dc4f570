import Foundation
import System
import Testing

@testable import Dockerfile

@Suite struct ShellLexerVectorTests {
    @Test func envVarTestVectors() throws {
        guard let dir = Conformance.require() else { return }
        let text = try Conformance.read(dir.appendingPathComponent("buildkit-shell/envVarTest"))
        let env = ["PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""]
        let lexer = ShellLexer(escapeToken: "\\")
        var count = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { Issue.record("bad vector line: \(line)"); continue }
            let platform = fields[0].trimmingCharacters(in: .whitespaces)
            if platform == "W" { continue }
            let input = fields[1].trimmingCharacters(in: .whitespaces)
            let expected = fields[2].trimmingCharacters(in: .whitespaces)
            count += 1
            if expected == "error" {
                #expect(throws: EstibaError.self, "input \(input)") { try lexer.processWord(input, env: env) }
            } else {
                do {
                    let got = try lexer.processWord(input, env: env)
                    #expect(got == expected, "input \(input)")
                } catch {
                    Issue.record("input \(input): unexpected error \(error)")
                }
            }
        }
        #expect(count > 200)
    }

    @Test func wordsTestVectors() throws {
        guard let dir = Conformance.require() else { return }
        let text = try Conformance.read(dir.appendingPathComponent("buildkit-shell/wordsTest"))
        var env: [String: String] = [:]
        let lexer = ShellLexer(escapeToken: "\\")
        var count = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("ENV ") {
                let kv = line.dropFirst(3).drop { $0 == " " }
                if let eq = kv.firstIndex(of: "=") { env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
                continue
            }
            let fields = line.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2 else { Issue.record("bad vector line: \(line)"); continue }
            let input = fields[0].trimmingCharacters(in: .whitespaces)
            let expectedText = String(fields[1].drop { $0 == " " })
            count += 1
            if expectedText == "error" {
                #expect(throws: EstibaError.self, "input \(input)") { try lexer.processWords(input, env: env) }
            } else {
                let expected = expectedText.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                do {
                    #expect(try lexer.processWords(input, env: env) == expected, "input \(input)")
                } catch {
                    Issue.record("input \(input): unexpected error \(error)")
                }
            }
        }
        #expect(count > 15)
    }
}
