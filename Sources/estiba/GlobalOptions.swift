import ArgumentParser
import Engine

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The store directory (default: $ESTIBA_ROOT or /var/lib/estiba).")
    var root: String?

    func engine() -> Engine { Engine(configuration: EngineConfiguration(root: root)) }
}

/// Prints an engine error the way docker prints daemon errors and exits 1.
func fail(_ error: EngineError) -> ExitCode {
    FileDescriptorOutput.stderr("Error: \(error.message)\n")
    return ExitCode(1)
}

/// For `run`, Docker's exit codes: 127 when the command is not in the image, 126 when it cannot be executed, 125
/// when the engine fails (an unknown image, a bad option); otherwise the container's own status.
func runFailure(_ error: EngineError) -> ExitCode {
    FileDescriptorOutput.stderr("Error: \(error.message)\n")
    switch error.commandFailure {
    case .notFound?: return ExitCode(127)
    case .notExecutable?: return ExitCode(126)
    case nil: return ExitCode(125)
    }
}
