import ArgumentParser
import Engine
import System

extension NetworkCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network (a bridge of its own).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Its subnet in CIDR form (default: the next free /24 from 10.212.0.0).") var subnet: String?
        @Option(name: .long, help: "Its gateway (default: the subnet's first address).") var gateway: String?
        @Flag(name: .long, help: "No route out: only the network's containers (and the host) are reachable.") var `internal` = false
        @Option(name: .shortAndLong, help: "The driver: bridge is the only one.") var driver: String = "bridge"
        @Option(name: .long, help: "Set a label (KEY=VALUE).") var label: [String] = []
        @Argument(help: "The network's name.") var name: String
        func run() async throws {
            guard driver == "bridge" else { throw fail(EstibaError(.invalidArgument, "Unknown network driver \(driver); bridge is the one Estiba has.")) }
            var labels: [String: String] = [:]
            for l in label {
                let parts = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                labels[parts[0]] = parts.count == 2 ? parts[1] : ""
            }
            do {
                let n = try global.engine().createNetwork(name: name, subnet: subnet, gateway: gateway, internal: `internal`, labels: labels)
                FileDescriptorOutput.stdout(n.network.id + "\n")
            } catch { throw fail(error) }
        }
    }
}
