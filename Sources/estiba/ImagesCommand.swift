import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Option(name: .long, help: "'json' for one JSON object per image.") var format: String?

    func run() async throws {
        let images: [ImageSummary]
        do { images = try await global.engine().images() } catch { throw fail(error) }
        if format == "json" {
            for s in images { FileDescriptorOutput.stdout(DockerJSON.summary(s).encodedString() + "\n") }
            return
        }
        var rows: [[String]] = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        var seenIDs: Set<Digest> = []
        for s in images {
            let r = s.image
            let id = noTrunc ? r.id.description : r.id.short
            if quiet {
                if seenIDs.insert(r.id).inserted { FileDescriptorOutput.stdout(id + "\n") }
                continue
            }
            let refs: [(String, String)] = r.references.isEmpty ? [("<none>", "<none>")] : r.references.map { ($0.name, $0.tag) }
            for (repo, tag) in refs {
                rows.append([repo, tag, id, DockerFormat.createdSince(r.config.created), DockerFormat.humanSize(r.size)])
            }
        }
        if !quiet { FileDescriptorOutput.stdout(DockerFormat.table(rows)) }
    }
}
