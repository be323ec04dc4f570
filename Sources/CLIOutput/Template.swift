import EstibaJSON

/// The part of Go templates people use with `inspect -f`: `{{.A.B}}` (Go's print formatting) and `{{json .A}}`.
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
                out += lookup(trim(action.dropFirst(5)), value).encodedString()
            } else {
                out += goPrint(lookup(action, value))
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func trim(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
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

