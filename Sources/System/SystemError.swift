import Glibc

/// A failed operating-system call: the errno it set, what was being done, and on which path.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno value (`ENOENT`, `EEXIST`, …).
    public var code: Int32
    /// What was being done, as a verb phrase ("open", "create directory", "write").
    public var operation: String
    /// The file the operation was about, when there is one.
    public var path: String?
    /// Replaces the system's text for `code` when Estiba knows better why it failed.
    public var detail: String?

    public init(code: Int32, operation: String, path: String? = nil, detail: String? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.detail = detail
    }

    /// An error from the current errno (read right after the failed call).
    public static func last(_ operation: String, path: String? = nil) -> SystemError {
        SystemError(code: errno, operation: operation, path: path)
    }

    /// "Cannot open /etc/x: No such file or directory."
    public var message: String {
        let subject = path.map { " " + $0 } ?? ""
        return "Cannot \(operation)\(subject): \(detail ?? Self.text(for: code))."
    }

    public var description: String { message }

    /// The system's description of an errno value ("No such file or directory").
    public static func text(for code: Int32) -> String { String(cString: strerror(code)) }

    public var isNotFound: Bool { code == ENOENT }
    public var alreadyExists: Bool { code == EEXIST }
    /// A path that would lead outside its root, through `..` or a symbolic link.
    public var isEscape: Bool { code == EXDEV || code == ELOOP }
}
