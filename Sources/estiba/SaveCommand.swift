import ArgumentParser
import Engine

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save images to an archive (docker-archive by default).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Write to this file (or directory for oci-dir).") var output: String
    @Option(name: .long, help: "docker-archive, oci-archive or oci-dir.") var format: String = ArchiveFormat.dockerArchive.rawValue
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() async throws {
        guard let f = ArchiveFormat(rawValue: format) else {
            throw ValidationError("--format must be one of \(ArchiveFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        do { _ = try await global.engine().save(images, to: output, format: f) } catch { throw fail(error) }
    }
}
