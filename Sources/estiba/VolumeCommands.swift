import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON

struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.", subcommands: [List.self, Create.self, Remove.self, Inspect.self])

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

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a named volume.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The volume's name.") var name: String
        func run() async throws {
            do { FileDescriptorOutput.stdout(try global.engine().createVolume(name).name + "\n") } catch { throw fail(error) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove volumes no running container uses.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Also remove volumes that stopped containers use.") var force = false
        @Argument(help: "Volume names.") var names: [String]
        func run() async throws {
            do {
                for n in try global.engine().removeVolumes(names, force: force) { FileDescriptorOutput.stdout(n + "\n") }
            } catch { throw fail(error) }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes as JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Volume names.") var names: [String]
        func run() async throws {
            let all: [VolumeInfo]
            do { all = try global.engine().volumes() } catch { throw fail(error) }
            var out: [JSONValue] = []
            for n in names {
                guard let v = all.first(where: { $0.name == n }) else { throw fail(EngineError(.notFound, "No such volume: \(n).")) }
                out.append(["Name": .string(v.name), "Driver": "local", "Mountpoint": .string(v.mountpoint), "UsedBy": JSONValue(v.usedBy)])
            }
            FileDescriptorOutput.stdout(String(decoding: JSONValue.array(out).encodedPretty(), as: UTF8.self) + "\n")
        }
    }
}
