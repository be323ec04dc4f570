import ArgumentParser
import CLIOutput
import Engine

extension SystemCommand {
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove blobs and layers no image uses.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let r: PruneReport
            do { r = try await global.engine().pruneStore() } catch { throw fail(error) }
            FileDescriptorOutput.stdout("Deleted \(r.blobs) blobs and \(r.snapshots) layers\nTotal reclaimed space: \(DockerFormat.humanSize(r.bytes))\n")
        }
    }
}
