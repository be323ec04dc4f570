import ArgumentParser
import Engine

struct CommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commit", abstract: "Create a new image from a container's changes.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Apply a Dockerfile instruction to the new image's config.") var change: [String] = []
    @Option(name: [.short, .long], help: "Commit message.") var message: String?
    @Option(name: [.short, .long], help: "Author (e.g. \"Jane <jane@example.com>\").") var author: String?
    @Argument var container: String
    @Argument var reference: String?

    func run() async throws {
        do {
            let image = try await global.engine().commit(container: container, reference: reference, changes: change, message: message, author: author)
            FileDescriptorOutput.stdout(image.id.description + "\n")
        } catch { throw fail(error) }
    }
}
