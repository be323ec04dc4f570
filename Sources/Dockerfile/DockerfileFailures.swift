import System

/// How the Dockerfile module words its failures: all are `.syntax` errors, and their context says where
/// (`file`, 1-based `line` and `endLine`, the `instruction`'s text, the `.dockerignore` `pattern`).
extension EstibaError {
    /// The Dockerfile cannot be parsed (BuildKit would stop here). Lines are 0 when the error concerns the
    /// whole file or is not yet placed.
    public static func dockerfile(_ message: String, startLine: Int = 0, endLine: Int = 0, file: String? = nil) -> EstibaError {
        var context: [String: String] = [:]
        if startLine > 0 {
            context["line"] = String(startLine)
            context["endLine"] = String(endLine)
        }
        if let file { context["file"] = file }
        return EstibaError(.syntax, message, context: context)
    }

    /// An instruction the builder cannot take as written: an unknown keyword or flag, or malformed arguments.
    public static func instruction(_ message: String, at node: Node) -> EstibaError {
        EstibaError(
            .syntax, message,
            context: ["line": String(node.startLine), "endLine": String(node.endLine), "instruction": node.original])
    }

    /// A word that cannot be expanded (unbalanced quote, bad substitution, `${x:?msg}` on an unset variable…).
    static func expansion(_ message: String) -> EstibaError { EstibaError(.syntax, message) }

    /// A malformed `.dockerignore` pattern.
    static func ignorePattern(_ pattern: String, _ reason: String) -> EstibaError {
        EstibaError(
            .syntax, "invalid .dockerignore pattern \(GoText.quote(pattern)): \(reason)", context: ["pattern": pattern])
    }

    /// The 1-based first line of the Dockerfile instruction (or step) that failed.
    public var line: Int? { context["line"].flatMap { Int($0) } }
    /// The 1-based last line of that instruction.
    public var endLine: Int? { context["endLine"].flatMap { Int($0) } }
    /// The instruction (or `--change` line) that failed.
    public var instruction: String? { context["instruction"] }
}
