import ArgumentParser
import CLIOutput
import Engine
import System

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Log in to a registry.",
        discussion: "If no server is specified, the default is docker.io.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Username") var username: String?
    @Option(name: [.short, .long], help: "Password") var password: String?
    @Flag(help: "Take the password from stdin") var passwordStdin = false
    @Argument(help: "SERVER") var server: String?

    func validate() throws {
        if password != nil, passwordStdin { throw ValidationError("--password and --password-stdin are mutually exclusive") }
        if passwordStdin, username == nil { throw ValidationError("Must provide --username with --password-stdin") }
    }

    func run() async throws {
        do {
            let engine = try global.engine()
            var username = self.username
            var password = self.password
            if password != nil {
                FileDescriptorOutput.stderr("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
            }
            if passwordStdin {
                let bytes = try FileDescriptor.standardInput.readAll(upTo: 1 << 16)
                var text = String(decoding: bytes, as: UTF8.self)
                while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
                password = text
            }
            if username == nil, password == nil, let result = try await engine.loginWithStoredCredentials(server: server) {
                _ = result
                FileDescriptorOutput.stdout("Authenticating with existing credentials...\nLogin Succeeded\n")
                return
            }
            if username == nil || password == nil {
                guard Terminal.isTerminal(FileDescriptor.standardInput) else {
                    throw EstibaError(
                        .invalidArgument,
                        "Cannot perform an interactive login from a non TTY device; give -u USER with -p PASSWORD or --password-stdin.")
                }
                if username == nil { username = Prompt.line("Username: ", echo: true) }
                if password == nil { password = Prompt.line("Password: ", echo: false) }
            }
            let result = try await engine.login(server: server, username: username ?? "", password: password ?? "")
            if result.storedIn.hasSuffix("config.json") {
                FileDescriptorOutput.stderr(
                    "WARNING! Your password will be stored unencrypted in \(result.storedIn).\nConfigure a credential helper to remove this warning.\n\n")
            }
            FileDescriptorOutput.stdout("Login Succeeded\n")
        } catch let error as EstibaError {
            throw fail(error)
        }
    }
}

/// One line typed at the terminal after `prompt` (on standard error), echoed or not.
enum Prompt {
    static func line(_ prompt: String, echo: Bool) -> String {
        FileDescriptorOutput.stderr(prompt)
        let input = FileDescriptor.standardInput
        let saved = echo ? nil : try? Terminal.makeRaw(input)
        defer {
            if let saved {
                try? Terminal.restore(input, saved)
                FileDescriptorOutput.stderr("\n")
            }
        }
        var line: [UInt8] = []
        while line.count < 4096, let byte = (try? input.read(upTo: 1))?.first {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            // Ctrl-C or Ctrl-D in raw mode: nothing typed.
            if byte == 3 || byte == 4 { return "" }
            if byte == 127 || byte == 8 {
                if !line.isEmpty { line.removeLast() }
                continue
            }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }
}
