/// A build failed. The message says what happened and what to do; `line` and `instruction` point at the
/// Dockerfile step.
public struct BuildError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The Dockerfile has a syntax or semantic error.
        case syntax
        /// An image, stage, file or user the build names does not exist.
        case notFound
        /// A RUN step exited with a non-zero code.
        case stepFailed
        /// A build option is wrong.
        case invalidArgument
        /// The store or the file system failed.
        case io
        /// The build was cancelled.
        case cancelled
    }

    public var kind: Kind
    public var message: String
    /// 1-based Dockerfile line of the step.
    public var line: Int?
    public var instruction: String?
    /// For failed RUN steps: the exit code and the last lines of output.
    public var exitCode: Int32?
    public var outputTail: String?

    public init(_ kind: Kind, _ message: String, line: Int? = nil, instruction: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.instruction = instruction
    }

    public var description: String { message }
}
