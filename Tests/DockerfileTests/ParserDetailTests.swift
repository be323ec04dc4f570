import Testing

@testable import Dockerfile

/// Details of the parser's walk that BuildKit's corpus does not pin down: LSP ranges in UTF-16 units, byte
/// order marks, CRLF, Unicode white space, comments, heredoc bodies and directives.
@Suite struct ParserDetailTests {
    func pos(_ line: Int, _ character: Int) -> SourcePosition { SourcePosition(line: line, character: character) }

    @Test func rangesCountUTF16UnitsAfterUnicodeWhiteSpace() {
        let text = "\u{A0}\u{3000}FROM busybox AS b\u{E9}\nLABEL x=\"\u{1F600} smile\" y=\u{E9}\u{E9}\n  \tRUN echo \u{1F600}\u{1F600} \\\n\u{A0}  and more\nENV A \u{3000}b c\n"
        let p = DockerfileParser.parse(text)
        #expect(p.instructions.map(\.value) == ["FROM", "LABEL", "RUN", "ENV"])
        #expect(p.ranges.map(\.start) == [pos(0, 2), pos(1, 0), pos(2, 3), pos(4, 0)])
        #expect(p.ranges.map(\.end) == [pos(0, 20), pos(1, 23), pos(3, 11), pos(4, 10)])
        #expect(p.instructions[2].next.map(\.value) == ["echo \u{1F600}\u{1F600} \u{A0}  and more"])
        #expect(p.instructions[3].next.map(\.value) == ["A", "\u{3000}b c", ""])
    }

    @Test func byteOrderMarkAndLineEndings() {
        let bom = DockerfileParser.parse("\u{FEFF}# syntax=docker/dockerfile:1\nFROM busybox\nRUN echo hi\n")
        #expect(bom.directives.map(\.value) == ["docker/dockerfile:1"])
        #expect(bom.directives[0].range.start == pos(0, 1))
        #expect(bom.ranges.map(\.end) == [pos(1, 12), pos(2, 11)])
        let crlf = DockerfileParser.parse("FROM busybox\r\nRUN echo \\\r\n  hi\r\n# comment\r\nCMD [\"sh\"]\r\n")
        #expect(crlf.instructions.map { $0.next.map(\.value) } == [["busybox"], ["echo   hi"], ["sh"]])
        #expect(crlf.ranges.map(\.end) == [pos(0, 12), pos(2, 4), pos(4, 10)])
        #expect(crlf.instructions[2].prevComment == ["comment"])
        let noNewline = DockerfileParser.parse("FROM x\nRUN y")
        #expect(noNewline.ranges.last == SourceRange(start: pos(1, 0), end: pos(1, 5)))
    }

    @Test func commentsAndContinuations() {
        let text = "# first\n#\n# second   \n  #   third  \nFROM busybox\n# between\nRUN a \\\n# inside\n\\\n  b\n\nRUN c \\\n   \n  d\n"
        let p = DockerfileParser.parse(text)
        #expect(p.instructions.map(\.prevComment) == [["second", "third"], ["between"], []])
        #expect(p.instructions.map { $0.next.map(\.value) } == [["busybox"], ["a   b"], ["c   d"]])
        #expect(p.ranges.map { [$0.start.line, $0.end.line] } == [[4, 4], [6, 9], [11, 13]])
        #expect(p.warnings.map(\.message) == ["Empty continuation line found in: RUN c   d"])
    }

    @Test func heredocBodies() {
        let text = "FROM busybox\nRUN <<EOF\necho one\n  echo two\nEOF\nRUN <<-'END' cat > /x\n\t\thello $X\n\tEND\nCOPY <<a <<b /dest/\nA\na\nB\nb\nRUN <<EOF\nunterminated\n"
        let p = DockerfileParser.parse(text)
        let docs = p.instructions.map { $0.heredocs.map { [$0.name, $0.content, "\($0.expand)", "\($0.chomp)"] } }
        #expect(docs == [
            [], [["EOF", "echo one\n  echo two\n", "true", "false"]], [["END", "\t\thello $X\n", "false", "true"]],
            [["a", "A\n", "true", "false"], ["b", "B\n", "true", "false"]],
        ])
        #expect(p.ranges.map { [$0.start.line, $0.end.line, $0.end.character] } == [[0, 0, 12], [1, 4, 3], [5, 7, 4], [8, 12, 1]])
        #expect(p.errors.map(\.message) == ["unterminated heredoc"])
    }

    @Test func escapeDirective() {
        let p = DockerfileParser.parse("# escape=`\n# syntax=x\nFROM windows\nRUN dir `\n  c:\\ `\n  more\nCOPY a\\b c:\\\n")
        #expect(p.escapeToken == "`")
        #expect(p.directives.map(\.name) == ["escape", "syntax"])
        #expect(p.instructions.map { $0.next.map(\.value) } == [["windows"], ["dir   c:\\   more"], ["a\\b", "c:\\"]])
        let twice = DockerfileParser.parse("# escape=\\\n# escape=`\nFROM x\n")
        #expect(twice.errors.map(\.message) == ["only one escape parser directive can be used"])
    }

    @Test func overlongLinesAreReportedAndSkipped() {
        let p = DockerfileParser.parse("FROM x\nRUN " + String(repeating: "a", count: 70000) + "\nRUN b\n")
        #expect(p.instructions.map(\.value) == ["FROM", "RUN"])
        #expect(p.errors.map(\.code) == ["line-too-long"])
        #expect(p.errors.first?.startLine == 2)
    }
}

/// Long files are parsed in two halves on two threads; the result must be the one-thread walk's.
@Suite struct ParserHalvesTests {
    static func long(_ seed: Int, escape: Bool = false) -> String {
        var lines = escape ? ["# escape=`", "# syntax=x"] : ["# syntax=docker/dockerfile:1"]
        lines.append("FROM busybox AS base")
        var n = seed
        while lines.reduce(0, { $0 + $1.utf8.count + 1 }) < 40_000 {
            n += 1
            switch n % 10 {
            case 0: lines.append("RUN <<EOF\n" + (0..<25).map { "echo line \($0)" }.joined(separator: "\n") + "\nEOF")
            case 1: lines.append("# comment \(n)\nLABEL a\(n)=b")
            case 2: lines.append(escape ? "RUN echo a `\n  b" : "RUN echo a \\\n  b \\\n\n  c")
            case 3: lines.append("COPY <<-X /f\(n)\n\tbody \u{E9}\u{1F600}\n\tX")
            case 4: lines.append("ENV K\(n)=v\(n)")
            case 5: lines.append("BOGUS \(n)")
            case 6: lines.append("")
            case 7: lines.append("FROM base AS s\(n)")
            case 8: lines.append("  \u{A0}RUN  indented \(n)")
            default: lines.append("ONBUILD RUN x \(n)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func expectSame(_ text: String, _ label: String) {
        let halves = DockerfileParser.parse(text)
        let serial = DockerfileParser.parseSerially(text)
        #expect(halves.root == serial.root, "\(label)")
        #expect(halves.ranges == serial.ranges, "\(label)")
        #expect(halves.diagnostics == serial.diagnostics, "\(label)")
        #expect(halves.directives == serial.directives, "\(label)")
        #expect(halves.escapeToken == serial.escapeToken, "\(label)")
    }

    @Test func halvesGiveTheSerialResult() {
        for seed in 0..<10 {
            let text = Self.long(seed)
            #expect(text.utf8.count >= DockerfileParser.parallelThreshold)
            expectSame(text, "seed \(seed)")
            expectSame(Self.long(seed, escape: true), "escape, seed \(seed)")
        }
    }

    @Test func aHeredocAcrossTheMiddleIsReadWhole() {
        let body = (0..<3000).map { "RUN looks like an instruction \($0)" }.joined(separator: "\n")
        let text = "FROM x\nRUN <<EOF\n" + body + "\nEOF\nCMD y\n"
        expectSame(text, "heredoc")
        let p = DockerfileParser.parse(text)
        #expect(p.instructions.map(\.value) == ["FROM", "RUN", "CMD"])
        #expect(p.instructions[1].heredocs.first?.content == body + "\n")
    }

    @Test func fileWithoutInstructionsStillSaysSo() {
        let text = String(repeating: "# just comments, nothing else\n", count: 1000)
        expectSame(text, "comments")
        #expect(DockerfileParser.parse(text).errors.map(\.code) == ["no-instructions"])
    }
}

/// Random Dockerfile-like texts, with every character the line syntax cares about, parsed both ways.
@Suite struct ParserHalvesFuzzTests {
    /// A small deterministic generator (SplitMix64), so that a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces = [
        "RUN ", "FROM ", "COPY ", "ADD ", "ENV ", "LABEL ", "ONBUILD ", "ARG ", "CMD ", "HEALTHCHECK ", "bogus ",
        "# ", "#", "\\", "`", "\\\n", "`\n", "<<EOF", "<<-EOF", "EOF", "\tEOF", "<<'X'", "X", "\"", "'", "=", " ", "\t",
        "\r", "\u{A0}", "\u{3000}", "\u{1F600}", "é", "--flag=1 ", "[\"a\", \"b\"]", "x", "y", "$VAR", "${V:-d}",
        "\n", "\n", "\n", "\n",
    ]

    static func text(seed: UInt64) -> String {
        var g = Generator(state: seed)
        var out = g.next() % 3 == 0 ? "# escape=`\n" : ""
        // Every other text has no heredocs, which otherwise swallow most of the file.
        let choices = seed % 2 == 0 ? pieces : pieces.filter { !$0.contains("<<") }
        while out.utf8.count < DockerfileParser.parallelThreshold + 2000 {
            out += choices[Int(g.next() % UInt64(choices.count))]
        }
        return out + "\n"
    }

    @Test func randomTextsGiveTheSerialResult() {
        var stopped = 0
        var ranPast = 0
        for seed in UInt64(1)...60 {
            let text = Self.text(seed: seed)
            // Which way the two-half parse goes for this text: the first half stops at the split line, or an
            // instruction runs past it.
            var probe = ParserState(text: text)
            if let split = probe.splitLine(escapeToken: probe.escapeTokenFromDirectives()) {
                if probe.run(stopAt: split, isCancelled: { false }) == .stopped { stopped += 1 } else { ranPast += 1 }
            }
            let halves = DockerfileParser.parse(text)
            let serial = DockerfileParser.parseSerially(text)
            #expect(halves.root == serial.root, "seed \(seed)")
            #expect(halves.ranges == serial.ranges, "seed \(seed)")
            #expect(halves.diagnostics == serial.diagnostics, "seed \(seed)")
            #expect(halves.directives == serial.directives, "seed \(seed)")
        }
        #expect(stopped > 10 && ranPast > 0, "stopped \(stopped), ran past \(ranPast)")
    }
}
