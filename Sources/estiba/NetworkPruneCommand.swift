import ArgumentParser
import Engine

extension NetworkCommand {
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove every user network no container is on.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Do not ask (Estiba never asks).") var force = false
        func run() async throws {
            do {
                let removed = try global.engine().pruneNetworks()
                if !removed.isEmpty { FileDescriptorOutput.stdout("Deleted Networks:\n" + removed.map { $0 + "\n" }.joined()) }
            } catch { throw fail(error) }
        }
    }
}
