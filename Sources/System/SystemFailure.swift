import Glibc

/// Failed operating-system calls as Estiba errors: the errno classifies the failure, and `operation`, `path`,
/// `errno` and `reason` go into the context.
extension EstibaError {
    /// A failed call: what was being done (a verb phrase: "open", "create directory"), on which path, and the
    /// errno it set. `detail` replaces the system's text when Estiba knows better why it failed.
    /// The message reads "Cannot open /etc/x: No such file or directory."
    public static func system(
        _ errorNumber: Int32, _ operation: String, path: String? = nil, detail: String? = nil
    ) -> EstibaError {
        let reason = detail ?? ErrorNumber.text(errorNumber)
        var context = ["operation": operation, "errno": String(errorNumber), "reason": reason]
        if let path { context["path"] = path }
        let subject = path.map { " " + $0 } ?? ""
        return EstibaError(
            code(errno: errorNumber), "Cannot \(operation)\(subject): \(reason).", context: context,
            errorNumber: errorNumber)
    }

    /// A failed call, from the current errno (read right after the call).
    public static func last(_ operation: String, path: String? = nil) -> EstibaError {
        system(errno, operation, path: path)
    }

    /// The same failure, told of another operation or path (a rooted path shown whole, a descriptor by its
    /// file's name).
    public func retold(operation: String? = nil, path: String?) -> EstibaError {
        guard let errorNumber else { return self }
        return .system(
            errorNumber, operation ?? context["operation"] ?? "use", path: path, detail: context["reason"])
    }

    /// Why the call failed, without what was being done: the system's text for the errno ("No such file or
    /// directory") or Estiba's detail. For other failures, the message.
    public var reason: String { context["reason"] ?? message }

    /// The path the failure concerns, when there is one.
    public var path: String? { context["path"] }

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

    /// A file or directory is missing (ENOENT).
    public var isNotFound: Bool { errorNumber == ENOENT }
    /// The name is taken (EEXIST).
    public var isAlreadyExisting: Bool { errorNumber == EEXIST }
    /// A path that would lead outside its root, through `..` or a symbolic link (EXDEV, ELOOP).
    public var isEscape: Bool { errorNumber == EXDEV || errorNumber == ELOOP }
    /// A component of the path is not a directory (ENOTDIR).
    public var isNotDirectory: Bool { errorNumber == ENOTDIR }
    /// A directory still has entries (ENOTEMPTY), as when renaming over one.
    public var isNotEmpty: Bool { errorNumber == ENOTEMPTY }
}
