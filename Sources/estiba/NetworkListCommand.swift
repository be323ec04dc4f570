import ArgumentParser
import CLIOutput
import Engine

extension NetworkCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Only show network IDs.") var quiet = false
        @Flag(name: .customLong("no-trunc"), help: "Don't truncate network IDs.") var noTrunc = false
        func run() async throws {
            let networks: [NetworkInfo]
            do { networks = try global.engine().networks() } catch { throw fail(error) }
            let id = { (n: Network) in noTrunc ? n.id : String(n.id.prefix(12)) }
            if quiet {
                for n in networks { FileDescriptorOutput.stdout(id(n.network) + "\n") }
                return
            }
            FileDescriptorOutput.stdout(DockerFormat.table([["NETWORK ID", "NAME", "DRIVER", "SCOPE"]] + networks.map { [id($0.network), $0.network.name, "bridge", "local"] }))
        }
    }
}
