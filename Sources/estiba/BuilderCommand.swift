import ArgumentParser

struct BuilderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "builder", abstract: "Manage the build cache.", subcommands: [Prune.self])
}
