import Foundation
import Testing

@testable import CLIOutput

/// Tables and units against real Docker 20.10 CLI output (../shared/conformance/docker-20.10-outputs).
@Suite struct DockerOutputTests {
    func conformanceFile() -> String? {
        let env = ProcessInfo.processInfo.environment
        let dir = env["ESTIBA_CONFORMANCE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance").path
        let path = dir + "/docker-20.10-outputs/docker20.10-cli-output.txt"
        if FileManager.default.fileExists(atPath: path) { return path }
        if env["CI"] != nil { Issue.record("conformance data not found at \(path)") }
        return nil
    }

    /// The lines of the block printed by `command`.
    func block(_ text: String, after command: String) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("$ " + command) }) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    @Test func historyTableMatchesDocker() throws {
        guard let path = conformanceFile() else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let table = block(text, after: "docker history classic:1")
        let full = block(text, after: "docker history --no-trunc --format \"{{json .CreatedBy}}\" classic:1")
        #expect(table.count == full.count + 1 && full.count == 18)
        var rows: [[String]] = [["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]]
        for (i, line) in table.dropFirst().enumerated() {
            // ID, CREATED and SIZE as docker printed them; CREATED BY from the untruncated listing.
            let id = String(line.prefix(12))
            let created = line.dropFirst(15).prefix(14)
            let size = line.dropFirst(15 + 17 + 48).prefix { $0 != " " }
            let createdBy = try #require(try JSONSerialization.jsonObject(with: Data(full[i].utf8), options: .fragmentsAllowed) as? String)
            rows.append([id, String(created), DockerFormat.ellipsis(createdBy, 45), String(size), ""])
        }
        let ours = DockerFormat.table(rows).components(separatedBy: "\n").dropLast()
        #expect(Array(ours) == table)
    }

    @Test func imagesTableMatchesDocker() throws {
        guard let path = conformanceFile() else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // The first "$ docker images" block (the plain table).
        let expected = block(text, after: "docker images")
        #expect(expected.count == 3)
        let rows = [
            ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            ["classic", "1", "c440fc0f3ef7", "40 seconds ago", DockerFormat.humanSize(1_982_256)],
            ["test", "2", "b6ee3d6ec008", "5 minutes ago", DockerFormat.humanSize(156)],
        ]
        #expect(DockerFormat.table(rows).components(separatedBy: "\n").dropLast() == expected[...])
    }

    @Test func humanSizesLikeGoUnits() {
        let cases: [(Int64, String)] = [
            (0, "0B"), (4, "4B"), (10, "10B"), (156, "156B"), (999, "999B"), (1000, "1kB"), (2018, "2.02kB"),
            (1_982_256, "1.98MB"), (183_000_000, "183MB"), (999_999, "1e+03kB"), (1_234_567_890, "1.23GB"),
        ]
        for (bytes, text) in cases { #expect(DockerFormat.humanSize(bytes) == text, "\(bytes)") }
    }

    @Test func humanDurationsLikeGoUnits() {
        let cases: [(Double, String)] = [
            (0.5, "Less than a second"), (1, "1 second"), (40, "40 seconds"), (60, "About a minute"), (3599, "59 minutes"),
            (3600, "About an hour"), (5400, "2 hours"), (47 * 3600, "47 hours"), (3 * 86400, "3 days"), (20 * 86400, "2 weeks"),
            (70 * 86400, "2 months"), (800 * 86400, "2 years"),
        ]
        for (seconds, text) in cases { #expect(DockerFormat.humanDuration(seconds: seconds) == text, "\(seconds)") }
    }

    @Test func ellipsisCountsDisplayColumns() {
        #expect(DockerFormat.ellipsis("short", 45) == "short")
        #expect(DockerFormat.ellipsis(String(repeating: "a", count: 46), 45) == String(repeating: "a", count: 44) + "…")
        #expect(DockerFormat.width("안녕") == 4)
        #expect(DockerFormat.ellipsis(String(repeating: "안", count: 30), 45).hasSuffix("…"))
        #expect(DockerFormat.width(DockerFormat.ellipsis(String(repeating: "안", count: 30), 45)) <= 45)
    }

    @Test func templatesPrintLikeGo() throws {
        let v = try JSONValueFixture.inspect()
        #expect(Template.render("{{.Config.Labels}}", v) == "map[a:1 b:two]")
        #expect(Template.render("{{json .Config.Cmd}} {{.Os}}", v) == "[\"sh\"] linux")
        #expect(Template.render("{{.Missing}}", v) == "<no value>")
        // Go's index: a map's member by a quoted key, an array's element by number, also under json.
        #expect(Template.render("{{index .Config.Labels \"b\"}}|{{index .Config.Labels \"none\"}}", v) == "two|<no value>")
        #expect(Template.render("{{index .Config.Cmd 0}} {{json (index .Config.Cmd 0)}} {{index .Config.Cmd 5}}", v) == "sh \"sh\" <no value>")
    }
}

import EstibaJSON

enum JSONValueFixture {
    static func inspect() throws -> JSONValue {
        try JSONValue.parse(#"{"Os":"linux","Config":{"Labels":{"b":"two","a":"1"},"Cmd":["sh"]}}"#)
    }
}
