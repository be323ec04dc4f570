import System

/// The `--name=value` flags of an instruction (a boolean flag alone is "true"; the last of a name wins), checked
/// against the ones the instruction takes.
struct InstructionFlags {
    private var values: [String: String] = [:]

    /// Refuses any flag: for instructions that take none.
    static func none(_ node: Node, _ keyword: InstructionKeyword) throws(EstibaError) {
        if let f = node.flags.first { throw EstibaError.instruction("\(keyword.name) does not take the flag \(f).", at: node) }
    }

    init(_ node: Node, _ keyword: InstructionKeyword, allowed: Set<String>) throws(EstibaError) {
        for f in node.flags {
            guard f.hasPrefix("--") else { throw EstibaError.instruction("Bad flag \(f).", at: node) }
            let body = f.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let value = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : "true"
            guard allowed.contains(name) else {
                let takes = allowed.sorted().map { "--" + $0 }.joined(separator: ", ")
                throw EstibaError.instruction("Unknown flag: \(name); \(keyword.name) takes \(takes).", at: node)
            }
            if !body.contains("="), FlagRules.flags(of: keyword)[name] != .bool {
                throw EstibaError.instruction("missing a value on flag: --\(name); write --\(name)=VALUE.", at: node)
            }
            values[name] = value
        }
    }

    var isEmpty: Bool { values.isEmpty }

    subscript(_ name: String) -> String? { values[name] }
}
