import EstibaJSON

/// The part of Go templates people use with `inspect -f`: `{{.A.B}}` (Go's print formatting) and `{{json .A}}`.
public enum Template {
    public static func render(_ format: String, _ value: JSONValue) -> String {
        var out = ""
        var rest = Substring(format)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if action.hasPrefix("json ") {
                out += lookup(String(action.dropFirst(5)).trimmingCharacters(in: .whitespaces), value).encodedString()
            } else {
                out += goPrint(lookup(action, value))
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
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

import Foundation
