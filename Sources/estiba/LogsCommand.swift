import ArgumentParser
import Engine
import Glibc

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a detached container's output.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Keep printing until the container exits.") var follow = false
    @Argument var container: String

    func run() async throws {
        do {
            try await global.engine().logs(container: container, follow: follow) { chunk in
                _ = chunk.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
        } catch { throw fail(error) }
    }
}
