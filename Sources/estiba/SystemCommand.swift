import ArgumentParser

struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Check and clean the store.", subcommands: [Verify.self, Prune.self, DiskUsage.self])
}
