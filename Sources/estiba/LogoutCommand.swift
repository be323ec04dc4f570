import ArgumentParser
import CLIOutput
import Engine

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout", abstract: "Log out from a registry.",
        discussion: "If no server is specified, the default is docker.io.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "SERVER") var server: String?

    func run() async throws {
        do {
            let result = try await global.engine().logout(server: server)
            if result.removed {
                FileDescriptorOutput.stdout("Removing login credentials for \(result.server)\n")
            } else {
                FileDescriptorOutput.stdout("Not logged in to \(result.server)\n")
            }
        } catch { throw fail(error) }
    }
}
