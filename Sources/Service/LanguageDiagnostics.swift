import CLIOutput
import Engine
import EstibaJSON

/// Dockerfile diagnostics in LSP's shape (`textDocument/publishDiagnostics`): range, severity, a stable code (with
/// a link to its page when it has one of its own: BuildKit's checks), the source, the message.
enum LanguageDiagnostics {
    static let method = "textDocument/publishDiagnostics"

    /// The notification's params for `uri` at `version`, encoded: built straight as a jansson tree in one region
    /// (a large document's hundreds of diagnostics cost no intermediate tree).
    static func params(uri: String, version: Int64?, _ diagnostics: [Diagnostic]) -> JSONText {
        JSONText.inRegion(expectedSize: 256 + diagnostics.count * 256) {
            var o = JSONNode.object()
            o.set("uri", JSONNode(uri))
            if let version { o.set("version", JSONNode(Int(clamping: version))) }
            var list = JSONNode.array()
            for d in diagnostics { list.append(node(d)) }
            o.set("diagnostics", list)
            return o
        }
    }

    /// One diagnostic.
    static func node(_ d: Diagnostic) -> JSONNode {
        var o = JSONNode.object()
        o.set("range", ParseEncoding.range(d.range))
        o.set("severity", JSONNode(Int(severity(d.severity.rawValue))))
        o.set("code", JSONNode(d.code))
        if let href = documentation(for: d.code) {
            var description = JSONNode.object()
            description.set("href", JSONNode(href))
            o.set("codeDescription", description)
        }
        o.set("source", JSONNode("estiba"))
        o.set("message", JSONNode(d.message))
        return o
    }

    /// One diagnostic as a value (for the few a failed build adds to a document's).
    static func encode(_ d: Diagnostic) -> JSONValue {
        var o = JSONObject()
        o.append("range", range(d.range))
        o.append("severity", .int(severity(d.severity.rawValue)))
        o.append("code", .string(d.code))
        if let href = documentation(for: d.code) { o.append("codeDescription", ["href": .string(href)]) }
        o.append("source", "estiba")
        o.append("message", .string(d.message))
        return .object(o)
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

    /// The page that explains a code: BuildKit's, for its build checks (named in CamelCase); Estiba's own codes
    /// (syntax errors and the context's and the store's checks) have none but the Dockerfile reference.
    static func documentation(for code: String) -> String? {
        guard let first = code.unicodeScalars.first, first.properties.isUppercase else { return nil }
        var slug = ""
        for (i, c) in code.enumerated() {
            if c.isUppercase, i > 0 { slug.append("-") }
            slug.append(contentsOf: c.lowercased())
        }
        return "https://docs.docker.com/go/dockerfile/rule/\(slug)/"
    }
}
