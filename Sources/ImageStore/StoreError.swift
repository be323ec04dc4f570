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
        StoreError(.io, "\(what) \(path): \(SystemText.strerror(e)).", context: ["path": path])
    }

    static func unsafe(_ entry: String, _ why: String) -> StoreError {
        StoreError(.unsafeEntry, "Refused archive entry \"\(entry)\": \(why).", context: ["entry": entry])
    }
}

import Glibc

enum SystemText {
    static func strerror(_ e: Int32) -> String { String(cString: Glibc.strerror(e)) }
}
