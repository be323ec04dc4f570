import ArgumentParser
import Engine

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop containers: SIGTERM, then SIGKILL after the grace period.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Seconds to wait before killing.") var time: Int = 10
    @Argument var containers: [String]

    func run() async throws {
        let timeout: Int
        do { timeout = try Limits.stopTimeout(Int64(time)) } catch { throw fail(error) }
        for c in containers {
            do { _ = try await global.engine().stop(container: c, timeout: timeout) } catch { throw fail(error) }
            FileDescriptorOutput.stdout(c + "\n")
        }
    }
}
