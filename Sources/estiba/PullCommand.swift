import ArgumentParser
import CLIOutput
import Engine

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an image from a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Set platform if server is multi-platform capable (os/arch[/variant]).") var platform: String?
    @Flag(name: [.short, .long], help: "Suppress verbose output.") var quiet = false
    @Argument(help: "NAME[:TAG|@DIGEST]") var name: String

    func run() async throws {
        do {
            let quiet = self.quiet
            if !quiet, let line = PullOutput.defaultTagLine(name) { FileDescriptorOutput.stdout(line + "\n") }
            let result = try await global.engine().pull(name, platform: platform) { event in
                if !quiet, let line = PullOutput.line(event) { FileDescriptorOutput.stdout(line + "\n") }
            }
            let lines = quiet ? [PullOutput.fullReference(result)] : PullOutput.summary(result)
            FileDescriptorOutput.stdout(lines.map { $0 + "\n" }.joined())
        } catch { throw fail(error) }
    }
}
