import Glibc

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
    private var causeBox: CauseBox?

    public init(_ code: Code, _ message: String, context: [String: String] = [:], cause: EstibaError? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.causeBox = cause.map(CauseBox.init)
    }

    /// The failure this one comes from, when it was caused by another.
    public var cause: EstibaError? { causeBox?.error }

    public var description: String { message }

    public static var cancelled: EstibaError { EstibaError(.cancelled, "The operation was cancelled.") }

    public static func == (a: EstibaError, b: EstibaError) -> Bool {
        a.code == b.code && a.message == b.message && a.context == b.context && a.cause == b.cause
    }

    /// Holds a cause (a struct cannot contain itself).
    private final class CauseBox: Sendable {
        let error: EstibaError
        init(_ error: EstibaError) { self.error = error }
    }
}

extension EstibaError {
    /// An operating-system failure as an Estiba error: its code from the errno, its message the system error's,
    /// and `path`, `operation` and `errno` as context.
    public init(_ e: SystemError, context extra: [String: String] = [:]) {
        var context = extra
        context["operation"] = e.operation
        context["errno"] = String(e.code)
        if let path = e.path { context["path"] = path }
        self.init(Self.code(errno: e.code), e.message, context: context)
    }

    /// The class of failure an errno value stands for.
    public static func code(errno: Int32) -> Code {
        switch errno {
        case ENOENT: .notFound
        case EEXIST: .alreadyExists
        // A path that would lead outside its root.
        case EXDEV, ELOOP: .badInput
        case EBUSY, EAGAIN: .unavailable
        default: .io
        }
    }
}
