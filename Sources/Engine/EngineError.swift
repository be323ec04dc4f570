/// A failed engine operation. The message is a full sentence that says what to do; `context` names the
/// file, line or image concerned.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not-found"
        case invalidArgument = "invalid-argument"
        case io = "io"
        case cancelled = "cancelled"
        case syntax = "syntax"
        /// The request conflicts with the store's state (an image in use, an ambiguous ID…).
        case conflict = "conflict"
        /// An input archive or file is unsafe or corrupt.
        case badInput = "bad-input"
        /// A build step failed (a RUN exited non-zero).
        case buildFailed = "build-failed"
        /// A container's process could not be started (`context["stage"]` says where it failed).
        case launchFailed = "launch-failed"
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

import ImageStore

extension EngineError {
    init(_ e: StoreError) {
        let code: Code
        switch e.code {
        case .notFound: code = .notFound
        case .invalidArgument: code = .invalidArgument
        case .unsafeEntry, .corrupt: code = .badInput
        case .io: code = .io
        case .conflict: code = .conflict
        }
        self.init(code, e.message, context: e.context)
    }
}
