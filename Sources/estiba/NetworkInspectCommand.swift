import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON

extension NetworkCommand {
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show networks in detail (JSON).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Network names or IDs.") var names: [String]
        func run() async throws {
            var out: [JSONValue] = []
            do {
                for n in names { out.append(DockerJSON.network(try global.engine().network(n))) }
            } catch { throw fail(error) }
            FileDescriptorOutput.stdout(String(decoding: JSONValue.array(out).encodedPretty(indent: 4), as: UTF8.self) + "\n")
        }
    }
}
