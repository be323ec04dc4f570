import ArgumentParser
import Engine

extension VolumeCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a named volume.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The volume's name.") var name: String
        func run() async throws {
            do { FileDescriptorOutput.stdout(try global.engine().createVolume(name).name + "\n") } catch { throw fail(error) }
        }
    }
}
