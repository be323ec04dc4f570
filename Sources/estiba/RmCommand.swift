import ArgumentParser
import Engine

struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers and their writable layers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Kill and remove running containers.") var force = false
    @Argument var containers: [String]

    func run() async throws {
        do {
            for c in try global.engine().removeContainers(containers, force: force) { FileDescriptorOutput.stdout(c + "\n") }
        } catch { throw fail(error) }
    }
}
