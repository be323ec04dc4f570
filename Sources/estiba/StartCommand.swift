import ArgumentParser
import Engine

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start created or stopped containers in the background.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Containers (names or IDs).") var containers: [String]

    func run() async throws {
        do {
            for c in try global.engine().start(containers: containers) { FileDescriptorOutput.stdout(c + "\n") }
        } catch { throw fail(error) }
    }
}
