import System

/// A Dockerfile instruction in typed form, with the AST node it was read from: the node's `original` text,
/// `startLine` and `endLine` locate it for messages and editors.
public struct TypedInstruction: Sendable, Equatable {
    public var instruction: Instruction
    public var node: Node

    public var keyword: InstructionKeyword { instruction.keyword }
    public var original: String { node.original }
    public var startLine: Int { node.startLine }
    public var endLine: Int { node.endLine }

    /// Reads a node of the parse tree; unknown instructions and flags and malformed arguments are errors.
    /// `escapeToken` is the Dockerfile's, for the words checked before the build (those without variables).
    public init(_ node: Node, escapeToken: Unicode.Scalar = "\\") throws(EstibaError) {
        self.node = node
        instruction = try InstructionReader(node: node, escapeToken: escapeToken).read()
    }
}

extension ParsedDockerfile {
    /// Every instruction in typed form, checked before anything is built: the first unknown instruction is the
    /// error, else the first malformed one.
    public func typedInstructions() throws(EstibaError) -> [TypedInstruction] {
        for node in instructions where InstructionKeyword(node.value) == nil { throw InstructionReader.unknown(node) }
        var out: [TypedInstruction] = []
        out.reserveCapacity(instructions.count)
        for node in instructions { out.append(try TypedInstruction(node, escapeToken: escapeToken)) }
        return out
    }
}
