import ArgumentParser
import CLIOutput
import Engine

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Option(name: [.customShort("H"), .customLong("human")], help: "Print sizes and dates in human readable format.")
    var human: Bool = true
    @Argument(help: "Image name or ID.") var image: String

    func run() async throws {
        let rows: [HistoryRow]
        do { rows = try await global.engine().history(image) } catch { throw fail(error) }
        func id(_ r: HistoryRow) -> String { r.imageID.map { noTrunc ? $0.description : $0.short } ?? "<missing>" }
        if quiet {
            for r in rows { FileDescriptorOutput.stdout(id(r) + "\n") }
            return
        }
        var table: [[String]] = [["IMAGE", human ? "CREATED" : "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
        for r in rows {
            let createdBy = String(r.createdBy.map { $0 == "\t" ? " " : $0 })
            table.append([
                id(r), human ? DockerFormat.createdSince(r.created) : (r.created?.rfc3339Seconds ?? ""),
                noTrunc ? createdBy : DockerFormat.ellipsis(createdBy, 45),
                human ? DockerFormat.humanSize(r.size) : String(r.size), r.comment,
            ])
        }
        FileDescriptorOutput.stdout(DockerFormat.table(table))
    }
}
