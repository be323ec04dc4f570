import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show images' or containers' details as JSON.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "A template like '{{.Config.Labels}}' or '{{json .RootFS}}'.") var format: String?
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() async throws {
        let engine = global.engine()
        var results: [JSONValue] = []
        var failed = false
        for spec in images {
            do {
                results.append(DockerJSON.inspect(try await engine.imageDetails(spec)))
            } catch {
                // Not an image: maybe a container (docker inspect takes both).
                if let c = try? engine.containers().first(where: { $0.name == spec || $0.id.hasPrefix(spec) }) {
                    results.append(DockerJSON.containerInspect(engine.details(of: c)))
                    continue
                }
                FileDescriptorOutput.stderr("Error: \(error.message)\n")
                failed = true
            }
        }
        if let format {
            for r in results { FileDescriptorOutput.stdout(Template.render(format, r) + "\n") }
        } else {
            FileDescriptorOutput.stdout(String(decoding: JSONValue.array(results).encodedPretty(indent: 4), as: UTF8.self) + "\n")
        }
        if failed { throw ExitCode(1) }
    }
}
