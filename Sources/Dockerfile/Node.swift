/// A node of BuildKit's Dockerfile AST. The root's `children` are the instructions; an instruction's
/// `next` is its chain of value nodes; an ONBUILD value node holds the triggered instruction in `children`.
public struct Node: Sendable, Equatable {
    /// The instruction keyword as written (instruction nodes) or one argument (value nodes).
    public var value: String
    public var next: [Node]
    public var children: [Node]
    /// `--flag` words before the arguments, quotes removed.
    public var flags: [String]
    /// True when the arguments were written as a JSON array (exec form).
    public var isJSON: Bool
    public var heredocs: [Heredoc]
    /// The joined logical line (continuations removed).
    public var original: String
    /// 1-based physical lines this instruction spans (heredoc bodies included).
    public var startLine: Int
    public var endLine: Int
    /// Comment lines immediately above the instruction.
    public var prevComment: [String]

    public init(
        value: String = "", next: [Node] = [], children: [Node] = [], flags: [String] = [], isJSON: Bool = false,
        heredocs: [Heredoc] = [], original: String = "", startLine: Int = 0, endLine: Int = 0, prevComment: [String] = []
    ) {
        self.value = value
        self.next = next
        self.children = children
        self.flags = flags
        self.isJSON = isJSON
        self.heredocs = heredocs
        self.original = original
        self.startLine = startLine
        self.endLine = endLine
        self.prevComment = prevComment
    }

    /// BuildKit's `Node.Dump()` format.
    public func dump() -> String {
        var s = value.lowercased()
        if !flags.isEmpty {
            s += " [" + flags.map { GoText.quote($0) }.joined(separator: " ") + "]"
        }
        for c in children {
            s += "(" + c.dump() + ")\n"
        }
        for x in next {
            s += " " + (x.children.isEmpty ? GoText.quote(x.value) : x.dump())
        }
        return String(GoText.trimSpace(s))
    }
}

/// A here-document attached to RUN, COPY or ADD.
public struct Heredoc: Sendable, Equatable {
    public var name: String
    public var content: String
    /// False when the delimiter was quoted: the body is then taken literally.
    public var expand: Bool
    /// `<<-`: leading tabs are removed from each body line.
    public var chomp: Bool
    public var fileDescriptor: Int

    public init(name: String, content: String = "", expand: Bool, chomp: Bool, fileDescriptor: Int) {
        self.name = name
        self.content = content
        self.expand = expand
        self.chomp = chomp
        self.fileDescriptor = fileDescriptor
    }
}
