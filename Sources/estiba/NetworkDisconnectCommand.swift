import ArgumentParser
import Engine

extension NetworkCommand {
    struct Disconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "Disconnect a container from a network.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Accepted for Docker's sake.") var force = false
        @Argument(help: "The network.") var network: String
        @Argument(help: "The container.") var container: String
        func run() async throws {
            do { try global.engine().disconnect(network: network, container: container) } catch { throw fail(error) }
        }
    }
}
