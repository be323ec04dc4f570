import System

/// The `# check=` parser directive, read as BuildKit reads it: `skip=Rule1,Rule2` (or `skip=all`) silences
/// rules, `error=true` turns the checks' warnings into errors, `experimental=…` is accepted; options are
/// separated by `;`. A comment `# check=skip=…` right above an instruction silences rules for that
/// instruction only.
public struct CheckOptions: Sendable, Equatable {
    public var skipAll = false
    public var skipped: Set<String> = []
    public var errorOnWarning = false

    public init() {}

    /// Reads a directive's value; a malformed one is a syntax error in BuildKit's words.
    static func parse(_ text: String) throws(EstibaError) -> CheckOptions {
        var options = CheckOptions()
        let trimmed = String(GoText.trimSpace(text))
        if trimmed.isEmpty { return options }
        // Go's strings.SplitN(s, ";", 3): the third part keeps any further `;`.
        var parts: [Substring] = []
        var rest = Substring(trimmed)
        while parts.count < 2, let semicolon = rest.firstIndex(of: ";") {
            parts.append(rest[..<semicolon])
            rest = rest[rest.index(after: semicolon)...]
        }
        parts.append(rest)
        for part in parts {
            guard let eq = part.firstIndex(of: "=") else {
                throw EstibaError(.syntax, "invalid check option \(GoText.quote(String(part)))")
            }
            let key = String(GoText.trimSpace(part[..<eq]))
            let value = String(GoText.trimSpace(part[part.index(after: eq)...]))
            switch key {
            case "skip":
                if value == "all" {
                    options.skipAll = true
                } else {
                    for rule in value.split(separator: ",", omittingEmptySubsequences: false) {
                        options.skipped.insert(String(GoText.trimSpace(rule)))
                    }
                }
            case "experimental":
                break
            case "error":
                guard let flag = Self.goBool(value) else {
                    throw EstibaError(
                        .syntax,
                        "failed to parse check option \(GoText.quote(String(part))): strconv.ParseBool: parsing \(GoText.quote(value)): invalid syntax"
                    )
                }
                options.errorOnWarning = flag
            default:
                throw EstibaError(.syntax, "invalid check option \(GoText.quote(key))")
            }
        }
        return options
    }

    /// Go's `strconv.ParseBool`.
    static func goBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// These options with the rules skipped by the first `check=` comment among `comments` (comment texts
    /// without `#`); the value ends at its first space, so `# check=skip=all // why` works. A malformed one
    /// changes nothing.
    func merged(withComments comments: [String]) -> CheckOptions {
        for comment in comments {
            guard let (key, value) = DirectiveScanner.match(Substring("#" + comment)),
                DirectiveScanner.allowed.contains(key.lowercased())
            else { continue }
            guard key.lowercased() == "check" else { continue }
            let firstWord = String(value.prefix { $0 != " " })
            guard let local = try? Self.parse(firstWord) else { return self }
            var out = self
            out.skipAll = out.skipAll || local.skipAll
            out.skipped.formUnion(local.skipped)
            return out
        }
        return self
    }

    /// True when `rule` is to be reported.
    func reports(_ rule: String) -> Bool { !skipAll && !skipped.contains(rule) }
}
