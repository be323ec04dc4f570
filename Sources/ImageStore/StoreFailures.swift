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

extension EstibaError {
    /// errno values of a full file system (ENOSPC) and of an exhausted quota (EDQUOT) on Linux.
    static let fullDiskErrors: Set<Int32> = [ErrorNumber.noSpace, ErrorNumber.quotaExceeded]

    /// Whether the failure is a full disk or an exhausted quota.
    var isFullDisk: Bool {
        if let n = errorNumber, Self.fullDiskErrors.contains(n) { return true }
        return message.contains("No space left on device") || message.contains("Disk quota exceeded")
    }

    /// A failed store write. A full disk or quota is named with what was written and where; other failures keep
    /// their own words.
    static func storeWrite(_ what: String, to root: String, _ error: EstibaError) -> EstibaError {
        guard error.isFullDisk, !error.message.hasPrefix("No space left on device while") else { return error }
        let reason = error.errorNumber == 122 ? "Disk quota exceeded" : "No space left on device"
        var context = error.context
        context["root"] = root
        return EstibaError(
            .io, "\(reason) while writing \(what) to \(root); free space there (`estiba system prune` removes unused images' content) or use another root.",
            context: context, cause: error, errorNumber: error.errorNumber ?? 28)
    }
}
