import Engine
import EstibaJSON

/// Dockerfile diagnostics in LSP's shape (`textDocument/publishDiagnostics`): range, severity, a stable code with
/// a link to its documentation, the source, the message.
enum LanguageDiagnostics {
    static let method = "textDocument/publishDiagnostics"

    /// The notification's params for `uri` at `version`.
    static func params(uri: String, version: Int64?, _ diagnostics: [Diagnostic]) -> JSONValue {
        var o = JSONObject()
        o.append("uri", .string(uri))
        if let version { o.append("version", .int(version)) }
        o.append("diagnostics", .array(diagnostics.map(encode)))
        return .object(o)
    }

    static func encode(_ d: Diagnostic) -> JSONValue {
        [
            "range": range(d.range),
            "severity": .int(severity(d.severity.rawValue)),
            "code": .string(d.code),
            "codeDescription": ["href": .string(documentation(for: d.code))],
            "source": "estiba",
            "message": .string(d.message),
        ]
    }

    static func range(_ r: SourceRange) -> JSONValue {
        [
            "start": ["line": .int(Int64(r.start.line)), "character": .int(Int64(r.start.character))],
            "end": ["line": .int(Int64(r.end.line)), "character": .int(Int64(r.end.character))],
        ]
    }

    /// LSP's DiagnosticSeverity: 1 error, 2 warning, 3 information, 4 hint.
    static func severity(_ name: String) -> Int64 {
        switch name {
        case "error": return 1
        case "warning": return 2
        case "information": return 3
        default: return 4
        }
    }

    /// Where a code is explained: BuildKit's page for its build checks (named in CamelCase), the Dockerfile
    /// reference for syntax and Estiba's own checks.
    static func documentation(for code: String) -> String {
        guard let first = code.unicodeScalars.first, first.properties.isUppercase else {
            return "https://docs.docker.com/reference/dockerfile/"
        }
        var slug = ""
        for (i, c) in code.enumerated() {
            if c.isUppercase, i > 0 { slug.append("-") }
            slug.append(contentsOf: c.lowercased())
        }
        return "https://docs.docker.com/go/dockerfile/rule/\(slug)/"
    }
}
