/// A failed operation, anywhere in Estiba: what kind of failure it is (its code), a sentence that says what went
/// wrong and what to do, where it happened (the file, Dockerfile line, image, container or archive entry, as
/// context), and the failure that caused it. Front ends map the code once: to a JSON-RPC error in the service,
/// and to an exit status in the CLI.
public struct EstibaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Classes of failure, in the spirit of containerd's errdefs. The raw value is the `kind` clients see.
    public enum Code: String, Sendable, CaseIterable {
        case notFound = "not-found"
        case alreadyExists = "already-exists"
        case invalidArgument = "invalid-argument"
        /// The request conflicts with the store's state (an image in use, an ambiguous ID…).
        case conflict = "conflict"
        /// The operation cannot run in the current state (a container that is not running, a paused store…).
        case failedPrecondition = "failed-precondition"
        /// A resource the operation needs is not available now; trying again later may work.
        case unavailable = "unavailable"
        case cancelled = "cancelled"
        /// The file system or another OS facility failed.
        case io = "io"
        /// A Dockerfile (or a `--change` line) is malformed.
        case syntax = "syntax"
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
    /// Where: `file`, `line`, `image`, `container`, `entry`, `path`…
    public var context: [String: String]
    /// The errno of the operating-system call that failed, when this failure is one (see `system`).
    public var errorNumber: Int32?
    private var causeBox: CauseBox?

    public init(
        _ code: Code, _ message: String, context: [String: String] = [:], cause: EstibaError? = nil,
        errorNumber: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.context = context
        self.errorNumber = errorNumber
        self.causeBox = cause.map(CauseBox.init)
    }

    /// The failure this one comes from, when it was caused by another.
    public var cause: EstibaError? { causeBox?.error }

    public var description: String { message }

    public static var cancelled: EstibaError { EstibaError(.cancelled, "The operation was cancelled.") }

    public static func == (a: EstibaError, b: EstibaError) -> Bool {
        a.code == b.code && a.message == b.message && a.context == b.context && a.errorNumber == b.errorNumber
            && a.cause == b.cause
    }

    /// Holds a cause (a struct cannot contain itself).
    private final class CauseBox: Sendable {
        let error: EstibaError
        init(_ error: EstibaError) { self.error = error }
    }
}


extension EstibaError {
    /// The same failure (message, context, errno, cause) in another class, for a caller that knows better what
    /// it means to its own operation.
    public func recoded(_ code: Code) -> EstibaError {
        var e = self
        e.code = code
        return e
    }

    /// The same failure with more context (the caller's container, image or file); keys already set are kept.
    public func adding(_ more: [String: String]) -> EstibaError {
        var e = self
        e.context.merge(more) { own, _ in own }
        return e
    }
}
