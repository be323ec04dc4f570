import System

/// Hands the terminal session from the engine's callback back to the command.
final class SessionBox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var session: TerminalSession?
    func set(_ s: TerminalSession) { lock.withLock { session = s } }
    func get() -> TerminalSession? { lock.withLock { session } }
}
