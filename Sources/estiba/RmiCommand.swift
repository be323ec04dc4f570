import ArgumentParser
import Engine

struct RmiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove images (or only tags, like docker).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove even when tagged several times or used by containers.") var force = false
    @Argument var images: [String]

    func run() async throws {
        do {
            for e in try await global.engine().removeImages(images, force: force) { FileDescriptorOutput.stdout("\(e)\n") }
        } catch { throw fail(error) }
    }
}
