import ArgumentParser
import CLIOutput
import Engine
import System

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an image from a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Set platform if server is multi-platform capable (os/arch[/variant]).") var platform: String?
    @Flag(name: [.short, .long], help: "Suppress verbose output.") var quiet = false
    @Flag(name: [.customShort("a"), .long], help: "Download all tagged images in the repository.") var allTags = false
    @Argument(help: "NAME[:TAG|@DIGEST] (NAME alone with -a)") var name: String

    func run() async throws {
        do {
            let quiet = self.quiet
            // On a terminal, Docker's redrawn lines with progress bars; else one line per change of state.
            let display: PullProgressDisplay? =
                quiet || !Terminal.isTerminal(.standardOutput)
                ? nil : PullProgressDisplay(columns: (try? Terminal.windowSize(.standardOutput)).map { Int($0.columns) } ?? 120)
            let onEvent: PullEventHandler = { event in
                if quiet { return }
                if let display {
                    display.show(event) { FileDescriptorOutput.stdout($0) }
                } else if let line = PullOutput.line(event) {
                    FileDescriptorOutput.stdout(line + "\n")
                }
            }
            if allTags {
                let results = try await global.engine().pullAllTags(
                    name, platform: platform,
                    onEvent: onEvent,
                    onResult: { result in if !quiet { FileDescriptorOutput.stdout("Digest: \(result.digest)\n") } })
                let lines = PullOutput.allTagsSummary(results)
                FileDescriptorOutput.stdout((quiet ? lines.suffix(1) : lines[...]).map { $0 + "\n" }.joined())
                return
            }
            if !quiet, let line = PullOutput.defaultTagLine(name) { FileDescriptorOutput.stdout(line + "\n") }
            let result = try await global.engine().pull(name, platform: platform, onEvent: onEvent)
            let lines = quiet ? [PullOutput.fullReference(result)] : PullOutput.summary(result)
            FileDescriptorOutput.stdout(lines.map { $0 + "\n" }.joined())
        } catch { throw fail(error) }
    }
}
