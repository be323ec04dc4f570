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
            per connection. SIGTERM or SIGINT stops the service and removes the socket. With --socket-group, \
            members of that group may use the service (the socket is mode 0660), as members of Docker's docker \
            group may. With --stdio, a user who may not use the store is served through a running service's \
            socket ($ESTIBA_HOST, or /run/estiba/estiba.sock) when there is one the user may reach.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Serve one client on standard input and output.")
    var stdio = false

    @Option(name: .long, help: "Listen on this Unix socket path (created mode 0600).")
    var socket: String?

    @Option(name: .customLong("socket-group"), help: "Let this group's members use the socket (mode 0660, owned by the group).")
    var socketGroup: String?

    func validate() throws {
        if stdio, socket != nil { throw ValidationError("Choose either --stdio or --socket PATH, not both.") }
        if stdio, socketGroup != nil { throw ValidationError("--socket-group gives a group the socket; it does not go with --stdio.") }
        if let socketGroup, UserDatabase.groupID(named: socketGroup) == nil {
            throw ValidationError("There is no group \(socketGroup) on this host; create it (groupadd \(socketGroup)) or name another.")
        }
    }

    /// Async, so that serving waits on a thread of its own rather than holding one of the concurrency pool's.
    func run() async throws {
        let engine = global.engine()
        var storeAdvice: String?
        if stdio, engine.storeProblem() != nil {
            // A user's editor: the store is root's. A service that may use it takes the whole session if the user
            // may reach its socket.
            let host = Self.serviceSocketPath()
            switch SocketRelay.connect(host) {
            case .success(let socket):
                FileDescriptorOutput.stderr("estiba: the store is out of reach here; serving through the service on unix://\(host)\n")
                SocketRelay.run(socket, input: .standardInput, output: .standardOutput)
                return
            case .failure(let error):
                storeAdvice =
                    "No service could take over either (\(error.message)): start one as root with estiba serve --socket-group GROUP and join that group, or set ESTIBA_HOST to a service's socket."
            }
        }
        let server = RPCServer(handler: EstibaService(engine: engine, storeAdvice: storeAdvice))
        SignalHandling.install { _ in server.stop(exitCode: 0) }
        if stdio {
            let code = await server.serveStdio(input: 0, output: 1)
            throw ExitCode(code)
        }
        let group = socketGroup.flatMap { UserDatabase.groupID(named: $0) }
        let path = try socket ?? Self.defaultSocketPath(group: group)
        let listener: UnixSocketListener
        do {
            listener = try UnixSocketListener(path: path, groupID: group)
        } catch {
            FileDescriptorOutput.stderr("estiba: \(error.message)\n")
            throw ExitCode(1)
        }
        FileDescriptorOutput.stderr("estiba: serving JSON-RPC on unix://\(path)\n")
        let code = await server.serveSocket(listener)
        throw ExitCode(code)
    }

    /// `/run/estiba/estiba.sock` for root (its directory open to the socket's group, if any),
    /// `$XDG_RUNTIME_DIR/estiba.sock` otherwise.
    static func defaultSocketPath(group: UInt32? = nil) throws -> String {
        if Processes.effectiveUserID == 0 {
            let dir = Self.rootSocketDirectory
            do throws(EstibaError) {
                try Files.ensureDirectory(dir, permissions: 0o700)
                if let group {
                    let d = try FileDescriptor.open(dir, .directory)
                    try d.setOwner(userID: 0, groupID: group)
                    try d.setPermissions(0o710)
                }
            } catch {
                throw ValidationError("\(error.message) Pass --socket PATH.")
            }
            return dir + "/estiba.sock"
        }
        guard let runtime = Environment.value("XDG_RUNTIME_DIR"), !runtime.isEmpty else {
            throw ValidationError("XDG_RUNTIME_DIR is not set; pass --socket PATH.")
        }
        return runtime + "/estiba.sock"
    }

    static let rootSocketDirectory = "/run/estiba"

    /// The socket of the service a user's language server hands its session to: `$ESTIBA_HOST` (`unix:///path`
    /// or a path), or root's default.
    static func serviceSocketPath() -> String {
        if let host = Environment.value("ESTIBA_HOST"), !host.isEmpty {
            return host.hasPrefix("unix://") ? String(host.dropFirst(7)) : host
        }
        return rootSocketDirectory + "/estiba.sock"
    }
}
