import ArgumentParser
import Engine

struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.", subcommands: [List.self, Create.self, Remove.self, Inspect.self])
}
