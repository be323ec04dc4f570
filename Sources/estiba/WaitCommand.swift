import ArgumentParser
import Engine

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for containers to exit and print their exit codes.")
    @OptionGroup var global: GlobalOptions
    @Argument var containers: [String]

    func run() async throws {
        for c in containers {
            do { FileDescriptorOutput.stdout("\(try await global.engine().wait(container: c))\n") } catch { throw fail(error) }
        }
    }
}
