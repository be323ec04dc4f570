import Foundation
import Testing

/// `builder prune`, `system prune` and `system df` as a Docker user drives them: the question, Docker's report,
/// and the build cache that is left.
@Suite(.serialized) struct BuilderPruneTests {
    typealias CLI = RuntimeTests.CLI

    /// Runs the CLI with `input` on its standard input.
    func run(_ cli: CLI, _ args: [String], input: String) throws -> (status: Int32, output: String) {
        let p = Process()
        let (executable, arguments) = ProgramDeadline.bounded(Paths.estiba, ["--root", cli.root] + args)
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        let stdin = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = stdin
        let start = Date()
        try p.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        ProgramDeadline.check(since: start, Paths.estiba, args, output: text)
        return (p.terminationStatus, text)
    }

    /// The build cache rows `system df` shows: (cache ID, in use).
    func cacheRows(_ cli: CLI) throws -> [(String, String)] {
        let output = try cli.run(["system", "df"]).output
        guard let section = output.components(separatedBy: "Build cache usage: ").last else { return [] }
        return section.split(separator: "\n").dropFirst(2).map { line in
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            return (String(cells.first ?? ""), String(cells.last ?? ""))
        }
    }

    static let dangling = "WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] "

    @Test func builderPruneAsksRemovesDanglingCacheAndTheNextBuildRunsOnlyThatStep() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let scratch = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let ctx = scratch + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        func dockerfile(_ last: String) throws {
            try "FROM busybox\nRUN echo base > /base\n\(last)\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        }
        try dockerfile("RUN head -c 300000 /dev/urandom > /big")
        #expect(try cli.run(["build", "-t", "app:1", ctx]).status == 0)
        let old = try cli.run(["inspect", "-f", "{{.Id}}", "app:1"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        try dockerfile("RUN echo small > /small")
        #expect(try cli.run(["build", "-t", "app:1", ctx]).status == 0)
        #expect(try cli.run(["rmi", old]).status == 0)
        var rows = try cacheRows(cli)
        #expect(rows.map(\.1).sorted() == ["false", "true", "true"], "\(rows)")

        // Without -f it asks; no answer is no.
        var r = try cli.run(["builder", "prune"])
        #expect(r.status == 0 && r.output == Self.dangling + "Total reclaimed space: 0B\n", "\(r.output)")
        #expect(try cacheRows(cli).count == 3)
        r = try run(cli, ["builder", "prune"], input: "y\n")
        let deleted = try #require(rows.first { $0.1 == "false" }?.0)
        let lines = r.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(r.status == 0 && lines.count == 5, "\(r.output)")
        #expect(lines.first == Self.dangling + "Deleted build cache objects:")
        #expect(lines.count == 5 && lines[1].count == 64 && lines[1].hasPrefix(deleted) && lines[2].isEmpty, "\(r.output)")
        #expect(lines.count == 5 && lines[3].hasPrefix("Total reclaimed space: ") && lines[3].hasSuffix("kB"), "\(r.output)")
        rows = try cacheRows(cli)
        #expect(rows.map(\.1) == ["true", "true"], "\(rows)")
        #expect(try cli.run(["builder", "prune", "-f"]).output == "Total reclaimed space: 0B\n")

        // The removed step runs again, the kept one is reused.
        try dockerfile("RUN head -c 300000 /dev/urandom > /big")
        r = try cli.run(["build", "-t", "app:2", ctx])
        #expect(r.status == 0)
        #expect(r.output.components(separatedBy: " ---> Using cache").count == 2, "\(r.output)")
        #expect(r.output.contains(" ---> Not cached: "), "\(r.output)")

        // system prune -a removes all of it (the filter spares steps younger than a day first).
        #expect(try cli.run(["builder", "prune", "-a", "-f", "--filter", "until=24h"]).output == "Total reclaimed space: 0B\n")
        r = try cli.run(["system", "prune", "-a"])
        #expect(r.status == 0 && r.output.hasPrefix("Deleted build cache objects:\n"), "\(r.output)")
        #expect(r.output.split(separator: "\n").filter { $0.count == 64 }.count == 3, "\(r.output)")
        #expect(try cacheRows(cli).isEmpty)
        #expect(try run(cli, ["builder", "prune", "--all"], input: "y\n").output
            == "WARNING! This will remove all build cache. Are you sure you want to continue? [y/N] Total reclaimed space: 0B\n")
        #expect(try cli.run(["run", "--rm", "app:2", "cat", "/base"]).output == "base\n")
        #expect(!(try cli.run(["history", "-q", "app:1"]).output.contains("<missing>")))
    }
}
