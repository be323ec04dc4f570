import ArgumentParser
import Engine
import JSONRPC
import Service
import System

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON-RPC 2.0 API on stdio (for editors) or a Unix socket (for scripts and tools).",
        discussion: """
            Without options the service listens on /run/estiba/estiba.sock (root) or \
            $XDG_RUNTIME_DIR/estiba.sock. Framing (Content-Length headers or one JSON per line) is detected \
            per connection. SIGTERM or SIGINT stops the service and removes the socket.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Serve one client on standard input and output.")
    var stdio = false

    @Option(name: .long, help: "Listen on this Unix socket path (created mode 0600).")
    var socket: String?

    func validate() throws {
        if stdio, socket != nil { throw ValidationError("Choose either --stdio or --socket PATH, not both.") }
    }

    /// Async, so that serving waits on a thread of its own rather than holding one of the concurrency pool's.
    func run() async throws {
        let server = RPCServer(handler: EstibaService(engine: global.engine()))
        SignalHandling.install { _ in server.stop(exitCode: 0) }
        if stdio {
            let code = await server.serveStdio(input: 0, output: 1)
            throw ExitCode(code)
        }
        let path = try socket ?? Self.defaultSocketPath()
        let listener: UnixSocketListener
        do {
            listener = try UnixSocketListener(path: path)
        } catch {
            FileDescriptorOutput.stderr("estiba: \(error.message)\n")
            throw ExitCode(1)
        }
        FileDescriptorOutput.stderr("estiba: serving JSON-RPC on unix://\(path)\n")
        let code = await server.serveSocket(listener)
        throw ExitCode(code)
    }

    /// `/run/estiba/estiba.sock` for root, `$XDG_RUNTIME_DIR/estiba.sock` otherwise.
    static func defaultSocketPath() throws -> String {
        if Processes.effectiveUserID == 0 {
            let dir = "/run/estiba"
            do throws(EstibaError) { try Files.ensureDirectory(dir, permissions: 0o700) } catch {
                throw ValidationError("\(error.message) Pass --socket PATH.")
            }
            return dir + "/estiba.sock"
        }
        guard let runtime = Environment.value("XDG_RUNTIME_DIR"), !runtime.isEmpty else {
            throw ValidationError("XDG_RUNTIME_DIR is not set; pass --socket PATH.")
        }
        return runtime + "/estiba.sock"
    }
}
