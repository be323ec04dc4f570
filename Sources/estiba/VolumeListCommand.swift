import ArgumentParser
import CLIOutput
import Engine

extension VolumeCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Only show volume names.") var quiet = false
        func run() async throws {
            let volumes: [VolumeInfo]
            do { volumes = try global.engine().volumes() } catch { throw fail(error) }
            if quiet {
                for v in volumes { FileDescriptorOutput.stdout(v.name + "\n") }
                return
            }
            FileDescriptorOutput.stdout(DockerFormat.table([["DRIVER", "VOLUME NAME"]] + volumes.map { ["local", $0.name] }))
        }
    }
}
