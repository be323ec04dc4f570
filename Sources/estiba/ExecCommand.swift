import ArgumentParser
import Engine
import Glibc

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
        let stdin = interactive ? 0 : open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if !interactive { close(stdin) } }
        let session = SessionBox()
        let keepInput = interactive
        let code: Int32
        do {
            code = try await global.engine().exec(
                container: container, command: command, environment: env, user: user, workingDirectory: workdir, tty: tty,
                stdin: stdin, stdout: 1, stderr: 2
            ) { master in
                let s = TerminalSession(master: master)
                session.set(s)
                s.start(interactive: keepInput)
            }
        } catch { throw fail(error) }
        session.get()?.finish()
        if code != 0 { throw ExitCode(code) }
    }
}
