import EstibaJSON

/// The part of Go templates people use with `inspect -f`: `{{.A.B}}` (Go's print formatting), `{{json .A}}`, and
/// `{{index .A "key"}}` / `{{index .A 0}}` (a map's member, an array's element; also inside `json`).
public enum Template {
    public static func render(_ format: String, _ value: JSONValue) -> String {
        var out = ""
        var rest = Substring(format)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let action = trim(rest[open.upperBound..<close.lowerBound])
            if action.hasPrefix("json ") {
                out += evaluate(trim(action.dropFirst(5)), value).encodedString()
            } else {
                out += goPrint(evaluate(action, value))
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func trim(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// A field path, or `index PATH KEY…` (parenthesised or not): Go's `index` of a map by a quoted key, of an
    /// array by a number.
    static func evaluate(_ expression: String, _ value: JSONValue) -> JSONValue {
        var text = expression
        if text.hasPrefix("("), text.hasSuffix(")") { text = trim(text.dropFirst().dropLast()) }
        let words = arguments(text)
        guard words.first == "index", words.count >= 3 else { return lookup(text, value) }
        var v = lookup(words[1], value)
        for key in words.dropFirst(2) {
            if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") {
                let name = String(key.dropFirst().dropLast()).replacing("\\\"", with: "\"").replacing("\\\\", with: "\\")
                v = v[name] ?? .null
            } else if let i = Int(key), let array = v.arrayValue {
                v = array.indices.contains(i) ? array[i] : .null
            } else {
                v = .null
            }
        }
        return v
    }

    /// The words of an action: blank-separated, a double-quoted string (with `\"` inside) being one word.
    static func arguments(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in text {
            if quoted {
                current.append(c)
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    quoted = false
                }
            } else if c == " " || c == "\t" {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                if c == "\"" { quoted = true }
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func lookup(_ path: String, _ value: JSONValue) -> JSONValue {
        var v = value
        for key in path.split(separator: ".") { v = v[String(key)] ?? .null }
        return v
    }

    /// How Go's fmt prints decoded JSON: maps as `map[k:v]` (sorted), slices as `[a b]`, null as `<no value>`.
    static func goPrint(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<no value>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goPrint).joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.keys.sorted().map { "\($0):\(goPrint(o[$0] ?? .null))" }.joined(separator: " ") + "]"
        }
    }
}

