import CLIOutput
import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// Named volumes: list, create, remove.
    static let volumeMethods: [ServiceMethod] = [
        ServiceMethod("volumes", params: []) { service, _ throws(RPCError) in
            return task { () async throws(EstibaError) -> JSONValue in
                ["volumes": .array(try service.engine.volumes().map(DockerJSON.volume))]
            }
        },
        ServiceMethod("volumeCreate", params: ["name"]) { service, p throws(RPCError) in
            let name = try p.requiredString("name")
            return task { () async throws(EstibaError) -> JSONValue in DockerJSON.volume(try service.engine.createVolume(name)) }
        },
        ServiceMethod("volumeRemove", params: ["names", "force"]) { service, p throws(RPCError) in
            let names = try p.references("names", "volume")
            let force = try p.bool("force") ?? false
            return task { () async throws(EstibaError) -> JSONValue in ["removed": JSONValue(try service.engine.removeVolumes(names, force: force))] }
        },
    ]
}
