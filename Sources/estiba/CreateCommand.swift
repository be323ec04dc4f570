import ArgumentParser
import Engine

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a container without starting it (start runs it in the background).")
    @OptionGroup var run: RunCommand

    func run() async throws {
        var o = try run.makeOptions()
        o.createOnly = true
        do {
            let r = try await run.global.engine().run(o)
            FileDescriptorOutput.stdout(r.containerID + "\n")
        } catch { throw runFailure(error) }
    }
}
