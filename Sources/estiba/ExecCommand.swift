import ArgumentParser
import Engine
import System

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a command in a running container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Keep standard input open.") var interactive = false
    @Flag(name: [.short, .long], help: "Give the command a terminal.") var tty = false
    @Option(name: [.short, .long], help: "Set an environment variable (KEY=VALUE).") var env: [String] = []
    @Option(name: [.short, .long], help: "user[:group] or uid[:gid].") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Argument var container: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func run() async throws {
        if let user { do { try Limits.checkUser(user) } catch { throw fail(error) } }
        let engine = global.engine()
        if tty {
            let process: AttachedProcess
            do {
                process = try await engine.execAttached(
                    container: container, command: command, environment: env, user: user, workingDirectory: workdir, tty: true,
                    terminalSize: TerminalSession.windowSize(), interactive: interactive)
            } catch { throw fail(error) }
            return try await TerminalSession.finish(process, interactive: interactive)
        }
        let input: FileDescriptor
        do { input = try TerminalSession.containerInput(interactive: interactive) } catch { throw fail(error) }
        let code: Int32
        do {
            code = try await engine.exec(
                container: container, command: command, environment: env, user: user, workingDirectory: workdir, tty: false,
                stdin: input.rawValue, stdout: 1, stderr: 2)
        } catch { throw fail(error) }
        input.close()
        if code != 0 { throw ExitCode(code) }
    }
}
