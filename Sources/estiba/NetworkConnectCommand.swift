import ArgumentParser
import Engine

extension NetworkCommand {
    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Another name the container is found by on the network.") var alias: [String] = []
        @Argument(help: "The network.") var network: String
        @Argument(help: "The container.") var container: String
        func run() async throws {
            do { try global.engine().connect(network: network, container: container, aliases: alias) } catch { throw fail(error) }
        }
    }
}
