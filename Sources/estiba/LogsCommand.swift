import ArgumentParser
import Engine

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a detached container's output.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Keep printing until the container exits.") var follow = false
    @Argument var container: String

    func run() async throws {
        do {
            try await global.engine().logs(container: container, follow: follow) { chunk in
                FileDescriptorOutput.stdout(chunk)
            }
        } catch { throw fail(error) }
    }
}
