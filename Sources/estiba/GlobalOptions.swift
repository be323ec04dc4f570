import ArgumentParser
import Engine
import System

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The store directory (default: $ESTIBA_ROOT or /var/lib/estiba).")
    var root: String?

    func engine() -> Engine { Engine(configuration: EngineConfiguration(root: root, isEstibaExecutable: true)) }
}

/// The CLI's one mapping from Estiba's errors to exit statuses, Docker's: for commands that run a container
/// (`run`, `create`), 127 when the command is not in the image, 126 when it cannot be executed and 125 when the
/// engine fails (an unknown image, a bad option); for every other command, 1. A container that ran exits with its
/// own status.
enum ExitStatus {
    static func of(_ error: EstibaError, runningContainer: Bool) -> Int32 {
        guard runningContainer else { return 1 }
        switch error.commandFailure {
        case .notFound?: return 127
        case .notExecutable?: return 126
        case nil: return 125
        }
    }
}

/// Prints an engine error the way docker prints daemon errors; the status is 1.
func fail(_ error: EstibaError) -> ExitCode {
    FileDescriptorOutput.stderr("Error: \(error.message)\n")
    return ExitCode(ExitStatus.of(error, runningContainer: false))
}

/// The same for `run` and `create`: 125, 126 or 127.
func runFailure(_ error: EstibaError) -> ExitCode {
    FileDescriptorOutput.stderr("Error: \(error.message)\n")
    return ExitCode(ExitStatus.of(error, runningContainer: true))
}
