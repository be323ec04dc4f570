import System

/// How the runtime words its failures. A container that cannot start is `.launchFailed`; the context's `stage`
/// names the step that failed ("mount the overlay root", "seccomp", "command not found"…).
extension EstibaError {
    /// A container could not be started or managed; the message says what to do.
    static func runtime(_ message: String, stage: String? = nil, code: Code = .launchFailed) -> EstibaError {
        EstibaError(code, message, context: stage.map { ["stage": $0] } ?? [:])
    }

    /// "Cannot `what`: `the system's reason`.", then `advice` when given: a failed operating-system call said in
    /// the runtime's words, keeping its errno and (unless `code` is given) its class.
    static func runtime(
        cannot what: String, _ error: EstibaError, advice: String? = nil, stage: String? = nil, code: Code? = nil
    ) -> EstibaError {
        let reworded = "Cannot \(what): \(error.reason).\(advice.map { " " + $0 } ?? "")"
        var e = runtime(reworded, stage: stage, code: code ?? error.code)
        e.errorNumber = error.errorNumber
        return e
    }

    /// The step of a container's start that failed, for runtime failures.
    public var stage: String? { context["stage"] }

    /// The stage of a command that is not in the image (Docker's exit code 127).
    public static let commandNotFoundStage = "command not found"
    /// The stage of a command that exists but cannot be executed (Docker's exit code 126).
    public static let commandNotExecutableStage = "command cannot be executed"
}
