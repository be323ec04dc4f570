/// A failed engine operation. The message is a full sentence that says what to do; `context` names the
/// file, line or image concerned.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not-found"
        case invalidArgument = "invalid-argument"
        case io = "io"
        case cancelled = "cancelled"
        case syntax = "syntax"
        case `internal` = "internal"
    }

    public var code: Code
    public var message: String
    public var context: [String: String]

    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String { message }

    public static var cancelled: EngineError { EngineError(.cancelled, "The operation was cancelled.") }
}
