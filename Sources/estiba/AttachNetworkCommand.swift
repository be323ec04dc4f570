import ArgumentParser
import Engine
import System

/// Attaches a container started by runc to its network: runc runs it as the container's createRuntime hook, with
/// the container's state (its pid) on standard input (not for people).
struct AttachNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: Engine.attachNetworkCommandName, shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run() throws {
        let state = (try? FileDescriptor.standardInput.readAll(upTo: 1 << 20)) ?? []
        do { try global.engine().attachNetwork(container: id, ociState: state) } catch { throw fail(error) }
    }
}
