import System

/// Build failures are Estiba errors whose context names the Dockerfile step: `line` and `instruction`, and for a
/// failed RUN its `exitCode` and the last lines of its `output`.
extension EstibaError {
    /// A failure at a Dockerfile step.
    static func build(_ code: Code, _ message: String, line: Int? = nil, instruction: String? = nil) -> EstibaError {
        var context: [String: String] = [:]
        if let line { context["line"] = String(line) }
        if let instruction { context["instruction"] = instruction }
        return EstibaError(code, message, context: context)
    }

}
