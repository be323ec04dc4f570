import ArgumentParser
import CLIOutput
import Engine

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Upload an image to a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "How layers are compressed (gzip or zstd).") var compression: String?
    @Flag(name: [.short, .long], help: "Suppress verbose output.") var quiet = false
    @Argument(help: "NAME[:TAG]") var name: String

    func run() async throws {
        do {
            let quiet = self.quiet
            let result = try await global.engine().push(name, compression: compression) { event in
                if !quiet, let line = PushOutput.line(event) { FileDescriptorOutput.stdout(line + "\n") }
            }
            FileDescriptorOutput.stdout((quiet ? PushOutput.fullReference(result) : PushOutput.summary(result)) + "\n")
        } catch { throw fail(error) }
    }
}
