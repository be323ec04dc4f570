import ArgumentParser
import Engine
import Glibc
import Runtime

/// The monitor of a detached container (started by `run -d`; not for people).
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__monitor", shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run() throws {
        let root = global.root ?? EngineConfiguration.defaultRoot
        guard let store = try? ContainerStore(directory: root + "/containers") else { throw ExitCode(1) }
        throw ExitCode(Monitor.run(store: store, id: id, readyFD: 3))
    }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop containers: SIGTERM, then SIGKILL after the grace period.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Seconds to wait before killing.") var time: Int = 10
    @Argument var containers: [String]

    func run() async throws {
        let timeout: Int
        do { timeout = try Limits.stopTimeout(Int64(time)) } catch { throw fail(error) }
        for c in containers {
            do { _ = try await global.engine().stop(container: c, timeout: timeout) } catch { throw fail(error) }
            FileDescriptorOutput.stdout(c + "\n")
        }
    }
}

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Signal number or name (KILL, TERM, HUP, INT, USR1, USR2).") var signal: String = "KILL"
    @Argument var containers: [String]

    func run() async throws {
        let names: [String: Int32] = ["KILL": SIGKILL, "TERM": SIGTERM, "HUP": SIGHUP, "INT": SIGINT, "USR1": SIGUSR1, "USR2": SIGUSR2, "QUIT": SIGQUIT]
        let upper = signal.uppercased()
        let sig: Int32
        if let number = Int64(signal) {
            do { sig = try Limits.signal(number) } catch { throw fail(error) }
        } else if let named = names[upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper] {
            sig = named
        } else if signal.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }) && !signal.isEmpty {
            throw fail(EngineError(.invalidArgument, "Invalid signal: \(signal). Give a signal number from 1 to \(Limits.maximumSignal), or a name like TERM."))
        } else {
            throw ValidationError("Unknown signal \(signal).")
        }
        for c in containers {
            do { try global.engine().kill(container: c, signal: sig) } catch { throw fail(error) }
            FileDescriptorOutput.stdout(c + "\n")
        }
    }
}

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for containers to exit and print their exit codes.")
    @OptionGroup var global: GlobalOptions
    @Argument var containers: [String]

    func run() async throws {
        for c in containers {
            do { FileDescriptorOutput.stdout("\(try await global.engine().wait(container: c))\n") } catch { throw fail(error) }
        }
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a detached container's output.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Keep printing until the container exits.") var follow = false
    @Argument var container: String

    func run() async throws {
        do {
            try await global.engine().logs(container: container, follow: follow) { chunk in
                _ = chunk.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
        } catch { throw fail(error) }
    }
}

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
