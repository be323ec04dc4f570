import System

/// A store operation failed. The message says what happened and what to do; `context` names the image,
/// file or archive entry.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not-found"
        case invalidArgument = "invalid-argument"
        /// An archive entry would write outside its target or is not allowed.
        case unsafeEntry = "unsafe-entry"
        case io = "io"
        case corrupt = "corrupt"
        case conflict = "conflict"
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

    static func io(_ what: String, _ path: String, errno e: Int32) -> StoreError {
        StoreError(.io, "\(what) \(path): \(SystemError.text(for: e)).", context: ["path": path])
    }

    /// A failed system call, as an I/O error naming what was done to which file.
    init(_ error: SystemError) {
        self.init(.io, error.message, context: error.path.map { ["path": $0] } ?? [:])
    }

    /// Runs `body`, turning a failed system call into an I/O error.
    @discardableResult
    static func io<T>(_ body: () throws(SystemError) -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError(error) }
    }

    static func unsafe(_ entry: String, _ why: String) -> StoreError {
        StoreError(.unsafeEntry, "Refused archive entry \"\(entry)\": \(why).", context: ["entry": entry])
    }
}
