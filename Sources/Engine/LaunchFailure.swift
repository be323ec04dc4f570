import Runtime
import System

/// Why a container's command could not start (Docker's `run` exits 127 and 126 for these).
public enum CommandFailure: Sendable, Equatable {
    /// The command is not in the image (or on its PATH).
    case notFound
    /// The command exists but cannot be executed (not a program, no permission).
    case notExecutable
}

extension EstibaError {
    /// For a launch failure: whether the command was missing or could not be executed; nil for any other error.
    public var commandFailure: CommandFailure? {
        guard code == .launchFailed else { return nil }
        switch context["stage"] {
        case EstibaError.commandNotFoundStage: return .notFound
        case EstibaError.commandNotExecutableStage: return .notExecutable
        default: return nil
        }
    }
}

extension Engine {
    /// A new ID for an exec session (the same form as container IDs).
    public static func newExecID() -> String { ContainerStore.newID() }
}
