import ArgumentParser
import CLIOutput
import Engine

extension SystemCommand {
    struct DiskUsage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "df", abstract: "Show the space images and build cache use.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let images: [ImageSummary]
            let cache: [BuildCacheEntry]
            do {
                let engine = global.engine()
                images = try await engine.images()
                cache = try await engine.buildCache()
            } catch { throw fail(error) }
            var rows: [[String]] = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE"]]
            for s in images {
                let r = s.image
                let refs: [(String, String)] = r.references.isEmpty ? [("<none>", "<none>")] : r.references.map { ($0.name, $0.tag) }
                for (repo, tag) in refs {
                    rows.append([
                        repo, tag, r.id.short, DockerFormat.createdSince(r.config.created), DockerFormat.humanSize(r.size),
                        DockerFormat.humanSize(s.sharedSize), DockerFormat.humanSize(s.uniqueSize),
                    ])
                }
            }
            FileDescriptorOutput.stdout("Images space usage:\n\n" + DockerFormat.table(rows) + "\n" + BuildCacheOutput.usage(cache))
        }
    }
}
