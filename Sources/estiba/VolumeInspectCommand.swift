import ArgumentParser
import Engine
import EstibaJSON
import System

extension VolumeCommand {
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes as JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Volume names.") var names: [String]
        func run() async throws {
            let all: [VolumeInfo]
            do { all = try global.engine().volumes() } catch { throw fail(error) }
            var out: [JSONValue] = []
            for n in names {
                guard let v = all.first(where: { $0.name == n }) else { throw fail(EstibaError(.notFound, "No such volume: \(n).")) }
                out.append(["Name": .string(v.name), "Driver": "local", "Mountpoint": .string(v.mountpoint), "UsedBy": JSONValue(v.usedBy)])
            }
            FileDescriptorOutput.stdout(String(decoding: JSONValue.array(out).encodedPretty(), as: UTF8.self) + "\n")
        }
    }
}
