import ArgumentParser
import Engine

/// Records the end of a foreground container whose client was gone when it ended (run by its keeper; not for
/// people).
struct SettleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: Engine.settleCommandName, shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run() throws {
        do { try global.engine().settle(container: id) } catch { throw fail(error) }
    }
}
