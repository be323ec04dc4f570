import ArgumentParser
import Engine

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET that refers to SOURCE.")
    @OptionGroup var global: GlobalOptions
    @Argument var source: String
    @Argument var target: String

    func run() async throws {
        do { _ = try await global.engine().tag(source: source, target: target) } catch { throw fail(error) }
    }
}
