import ArgumentParser
import CLIOutput
import Engine

struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).") var all = false
    @Flag(name: .shortAndLong, help: "Only show container IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false

    func run() async throws {
        let list: [ContainerRecord]
        do { list = try global.engine().containers(all: all) } catch { throw fail(error) }
        if quiet {
            for c in list { FileDescriptorOutput.stdout((noTrunc ? c.id : String(c.id.prefix(12))) + "\n") }
            return
        }
        var rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        let now = Timestamp.now()
        for c in list {
            let command = "\"" + (noTrunc ? c.command.joined(separator: " ") : DockerFormat.ellipsis(c.command.joined(separator: " "), 20)) + "\""
            var status = "Created"
            if c.state == .running, let s = c.startedAt {
                status = "Up " + DockerFormat.humanDuration(seconds: Double(now.seconds - s))
            } else if c.state == .exited {
                let ago = c.finishedAt.map { DockerFormat.createdSince(Timestamp(seconds: $0), now: now) } ?? "N/A"
                status = "Exited (\(c.exitCode ?? -1)) " + ago
            }
            rows.append([
                noTrunc ? c.id : String(c.id.prefix(12)), c.image, command,
                DockerFormat.createdSince(Timestamp(seconds: c.created), now: now), status,
                c.state == .running ? c.publishedPorts.map(\.display).joined(separator: ", ") : "", c.name,
            ])
        }
        FileDescriptorOutput.stdout(DockerFormat.table(rows))
    }
}
