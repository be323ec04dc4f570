import ArgumentParser
import Engine

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load images from an archive or OCI layout.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "docker-archive (current or legacy), OCI archive, or OCI layout directory.") var input: String

    func run() async throws {
        do {
            for l in try await global.engine().load(from: input) {
                if l.references.isEmpty {
                    FileDescriptorOutput.stdout("Loaded image ID: \(l.image.id)\n")
                } else {
                    for r in l.references { FileDescriptorOutput.stdout("Loaded image: \(r)\n") }
                }
            }
        } catch { throw fail(error) }
    }
}
