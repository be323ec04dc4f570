import ArgumentParser
import CLIOutput
import Engine
import System

extension BuilderCommand {
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove build cache.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Remove all build cache, not just dangling ones.") var all = false
        @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
        @Option(name: .long, help: "Provide filter values (e.g. 'until=24h').") var filter: [String] = []

        func run() async throws {
            var until: Duration?
            do throws(EstibaError) {
                for f in filter {
                    guard f.hasPrefix("until=") else {
                        throw EstibaError(.invalidArgument, "Invalid filter \"\(f)\": builder prune takes until=DURATION (for example until=24h).", context: ["filter": f])
                    }
                    until = try Engine.pruneAge(String(f.dropFirst("until=".count)))
                }
            } catch { throw fail(error) }
            let warning = all
                ? "WARNING! This will remove all build cache. Are you sure you want to continue?"
                : "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
            guard force || Confirmation.ask(warning) else {
                FileDescriptorOutput.stdout(BuildCacheOutput.reclaimed(0))
                return
            }
            let report: BuildCachePruneReport
            do { report = try await global.engine().pruneBuildCache(all: all, until: until) } catch { throw fail(error) }
            FileDescriptorOutput.stdout(BuildCacheOutput.deleted(report.removed) + BuildCacheOutput.reclaimed(report.collected.bytes))
        }
    }
}
