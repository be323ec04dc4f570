import ArgumentParser
import CLIOutput
import Engine
import System

struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List a container's published ports.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var container: String
    @Argument(help: "Only this port: PORT[/PROTO].") var port: String?
    func run() async throws {
        var ports: [PortMapping]
        do { ports = try global.engine().ports(container: container) } catch { throw fail(error) }
        if let port {
            let key = port.contains("/") ? port : port + "/tcp"
            ports = ports.filter { $0.containerKey == key }
            guard !ports.isEmpty else { throw fail(EstibaError(.notFound, "No public port '\(key)' published for \(container).")) }
            for p in ports { FileDescriptorOutput.stdout("\(p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP):\(p.hostPort)\n") }
            return
        }
        FileDescriptorOutput.stdout(DockerJSON.portLines(ports))
    }
}
