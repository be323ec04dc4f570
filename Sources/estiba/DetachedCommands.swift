import ArgumentParser
import Engine
import Runtime

/// The monitor of a detached container (started by `run -d`; not for people).
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__monitor", shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run() throws {
        let root = global.root ?? EngineConfiguration.defaultRoot
        guard let store = try? ContainerStore(directory: root + "/containers") else { throw ExitCode(1) }
        throw ExitCode(Monitor.run(store: store, id: id, readyFD: 3))
    }
}
