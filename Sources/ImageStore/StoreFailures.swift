import System

/// How the store words its failures.
extension EstibaError {
    /// A failed system call during a store operation: "<what> <path>: <reason>.", keeping the call's errno.
    static func io(_ what: String, _ path: String, _ error: EstibaError) -> EstibaError {
        EstibaError(.io, "\(what) \(path): \(error.reason).", context: ["path": path], errorNumber: error.errorNumber)
    }

    /// An archive entry that would write outside its target, or is not allowed.
    static func unsafe(_ entry: String, _ why: String) -> EstibaError {
        EstibaError(.badInput, "Refused archive entry \"\(entry)\": \(why).", context: ["entry": entry])
    }
}
