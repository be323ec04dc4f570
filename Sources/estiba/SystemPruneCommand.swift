import ArgumentParser
import CLIOutput
import Engine

extension SystemCommand {
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove unused networks, blobs and layers no image uses, and dangling build cache.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Remove all build cache, not just dangling ones.") var all = false
        func run() async throws {
            let r: SystemPruneReport
            do { r = try await global.engine().pruneSystem(all: all) } catch { throw fail(error) }
            let blobs = r.store.blobs + r.buildCache.collected.blobs
            let layers = r.store.snapshots + r.buildCache.collected.snapshots
            if !r.networks.isEmpty { FileDescriptorOutput.stdout("Deleted Networks:\n" + r.networks.map { $0 + "\n" }.joined()) }
            FileDescriptorOutput.stdout(
                BuildCacheOutput.deleted(r.buildCache.removed) + "Deleted \(blobs) blobs and \(layers) layers\n" + BuildCacheOutput.reclaimed(r.bytes))
        }
    }
}
