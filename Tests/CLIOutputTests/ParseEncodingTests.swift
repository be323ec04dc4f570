import Dockerfile
import Engine
import EstibaJSON
import Testing

@testable import CLIOutput

@Suite struct ParseEncodingTests {
    /// A long Dockerfile with every kind of member an instruction can have (flags, heredocs, comments,
    /// ONBUILD triggers, JSON forms, several stages, a diagnostic).
    static func longDockerfile(instructions: Int) -> String {
        var lines = ["# syntax=docker/dockerfile:1", "ARG BASE=busybox", "FROM ${BASE} AS build"]
        var i = 0
        while lines.count < instructions {
            switch i % 7 {
            case 0: lines.append("# step \(i)\nRUN echo \(i) \\\n  && true")
            case 1: lines.append("COPY --chown=a:b src\(i) /dst\(i)")
            case 2: lines.append("RUN <<EOF\necho \(i) \u{E9}\u{1F600}\nEOF")
            case 3: lines.append("ONBUILD RUN echo \(i)")
            case 4: lines.append("CMD [\"/bin/x\", \"\(i)\"]")
            case 5: lines.append("FROM busybox AS stage\(i)")
            default: lines.append("BOGUS \(i)")
            }
            i += 1
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func concurrentEncodingIsByteForByteTheSerialOne() async throws {
        for count in [1, 10, ParseEncoding.parallelThreshold - 1, ParseEncoding.parallelThreshold, 1001] {
            let text = Self.longDockerfile(instructions: count)
            let report = ParseReport(path: "Dockerfile", analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
            let serial = ParseEncoding.encode(report)
            let concurrent = await ParseEncoding.encodeConcurrently(report)
            #expect(serial == concurrent, "\(count) instructions")
            let value = try JSONValue.parse(serial.bytes)
            let list = value["instructions"]?.arrayValue ?? []
            #expect(list.count == report.analysis.parsed.instructions.count)
            #expect(value.objectValue?.keys == ["path", "escapeToken", "directives", "stages", "diagnostics", "instructions"])
            // Instructions keep their order: the ranges increase.
            let starts = list.compactMap { $0["range"]?["start"]?["line"]?.intValue }
            #expect(starts == starts.sorted() && starts.count == list.count)
        }
    }

    @Test func membersMatchTheAST() throws {
        let text = "# c\nFROM busybox AS a\nONBUILD COPY --from=a x y\nrun <<EOF\nhi\nEOF\n"
        let report = ParseReport(path: nil, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
        let v = try JSONValue.parse(ParseEncoding.encode(report).bytes)
        let list = v["instructions"]?.arrayValue ?? []
        #expect(list.count == 3)
        #expect(list[0]["comments"] == ["c"])
        #expect(list[0]["args"] == ["busybox", "AS", "a"])
        #expect(list[1]["trigger"]?["keyword"] == "COPY")
        #expect(list[1]["trigger"]?["flags"] == ["--from=a"])
        #expect(list[2]["heredocs"]?.arrayValue?.first?["content"] == "hi\n")
        #expect(list[2]["stage"] == 0)
        // The keyword upper-cased, and as written.
        #expect(list[2]["keyword"] == "RUN" && list[2]["written"] == "run")
        #expect(list[0]["written"] == "FROM")
        #expect(v["path"] == .null)
        #expect(v["stages"]?.arrayValue?.first?["name"] == "a")
    }
}
