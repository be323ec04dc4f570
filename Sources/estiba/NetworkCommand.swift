import ArgumentParser
import Engine

struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        discussion: "The default network is bridge (estiba0, 10.211.0.0/16); user networks get a /24 from 10.212.0.0 on, or --subnet. Containers on a user network find each other by name and alias.",
        subcommands: [List.self, Create.self, Remove.self, Inspect.self, Prune.self, Connect.self, Disconnect.self])
}
