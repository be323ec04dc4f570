import ArgumentParser
import Engine

/// The monitor of a detached container (started by `run -d`; not for people).
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: Engine.monitorCommandName, shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run() throws {
        throw ExitCode(global.engine().runMonitor(container: id))
    }
}
