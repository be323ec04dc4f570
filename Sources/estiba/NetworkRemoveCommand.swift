import ArgumentParser
import Engine

extension NetworkCommand {
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove networks no container is on.", aliases: ["remove"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Network names or IDs.") var names: [String]
        func run() async throws {
            do {
                for n in try global.engine().removeNetworks(names) { FileDescriptorOutput.stdout(n + "\n") }
            } catch { throw fail(error) }
        }
    }
}
