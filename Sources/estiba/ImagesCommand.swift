import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(help: "Show digests.") var digests = false
    @Option(name: .long, help: "'json' for one JSON object per image.") var format: String?

    func run() async throws {
        let images: [ImageSummary]
        do { images = try await global.engine().images() } catch { throw fail(error) }
        if format == "json" {
            for s in images { FileDescriptorOutput.stdout(DockerJSON.summary(s).encodedString() + "\n") }
            return
        }
        var rows: [[String]] = [digests ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"] : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        var seenIDs: Set<Digest> = []
        for s in images {
            let r = s.image
            let id = noTrunc ? r.id.description : r.id.short
            if quiet {
                if seenIDs.insert(r.id).inserted { FileDescriptorOutput.stdout(id + "\n") }
                continue
            }
            for (repo, tag, digest) in DockerFormat.imageNames(r, digests: digests) {
                rows.append(
                    [repo, tag] + (digests ? [digest] : []) + [id, DockerFormat.createdSince(r.config.created), DockerFormat.humanSize(r.size)])
            }
        }
        if !quiet { FileDescriptorOutput.stdout(DockerFormat.table(rows)) }
    }
}
