/// An instruction the builder cannot take as written: an unknown keyword or flag, or malformed arguments.
public struct InstructionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence that says what is wrong and what to write instead.
    public var message: String
    /// The instruction's text (its logical line).
    public var original: String
    /// 1-based physical lines of the instruction.
    public var startLine: Int
    public var endLine: Int

    public init(_ message: String, at node: Node) {
        self.message = message
        original = node.original
        startLine = node.startLine
        endLine = node.endLine
    }

    public var description: String { message }
}
