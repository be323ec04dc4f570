import ArgumentParser
import Engine

extension VolumeCommand {
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove volumes no running container uses.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Also remove volumes that stopped containers use.") var force = false
        @Argument(help: "Volume names.") var names: [String]
        func run() async throws {
            do {
                for n in try global.engine().removeVolumes(names, force: force) { FileDescriptorOutput.stdout(n + "\n") }
            } catch { throw fail(error) }
        }
    }
}
