import ArgumentParser

@main
struct EstibaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estiba",
        abstract: "A container image engine: parse and build Dockerfiles, run containers, serve JSON-RPC.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, ParseCommand.self, ImportCommand.self, ImagesCommand.self, InspectCommand.self,
            HistoryCommand.self, TagCommand.self, RmiCommand.self, SaveCommand.self, LoadCommand.self, PullCommand.self, SystemCommand.self,
            PushCommand.self, LoginCommand.self, LogoutCommand.self,
            RunCommand.self, PsCommand.self, RmCommand.self, CommitCommand.self, StopCommand.self, KillCommand.self,
            WaitCommand.self, LogsCommand.self, ExecCommand.self, CreateCommand.self, StartCommand.self, VolumeCommand.self, NetworkCommand.self, PortCommand.self, BuildCommand.self, BuilderCommand.self, MonitorCommand.self, SettleCommand.self, AttachNetworkCommand.self,
        ])

    /// Accepted before the command too (`estiba --root DIR images`); each command reads it.
    @OptionGroup var global: GlobalOptions

    static func main() async { await main(BuildCommand.normalizingPullFlag(Array(CommandLine.arguments.dropFirst()))) }
}
