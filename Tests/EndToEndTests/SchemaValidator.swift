import EstibaJSON

/// A JSON-Schema validator for the subset Protocol/openrpc.json uses: type, const, enum, properties,
/// required, additionalProperties, items, minimum, maximum, minItems, oneOf, anyOf, allOf and local $ref. A keyword it does not know
/// is a problem, so that a schema it cannot judge never passes unread.
struct SchemaValidator {
    let document: JSONValue

    func validate(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        if let ref = schema["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return ["\(path): unresolvable $ref \(ref)"] }
            return validate(value, target, at: path)
        }
        var problems: [String] = []
        if let o = schema.objectValue {
            for key in o.keys where !Self.known.contains(key) { problems.append("\(path): the validator does not know the schema keyword \(key)") }
        }
        if let options = schema["oneOf"]?.arrayValue {
            let fitting = options.filter { validate(value, $0, at: path).isEmpty }.count
            if fitting != 1 { problems.append("\(path): matches \(fitting) of the \(options.count) oneOf schemas, not exactly one") }
        }
        if let options = schema["anyOf"]?.arrayValue, !options.contains(where: { validate(value, $0, at: path).isEmpty }) {
            problems.append("\(path): matches none of the anyOf schemas")
        }
        for part in schema["allOf"]?.arrayValue ?? [] { problems += validate(value, part, at: path) }
        if let t = schema["type"] {
            let allowed = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue ?? ""]
            if !allowed.contains(where: { matches(value, type: $0) }) {
                return ["\(path): expected \(allowed.joined(separator: "|")), got \(value.typeName)"]
            }
        }
        if let c = schema["const"], c != value { problems.append("\(path): expected \(c.encodedString())") }
        if let e = schema["enum"]?.arrayValue, !e.contains(value) {
            problems.append("\(path): \(value.encodedString()) not in enum")
        }
        if let min = schema["minimum"]?.doubleValue, let v = value.doubleValue, v < min {
            problems.append("\(path): \(v) below minimum \(min)")
        }
        if let max = schema["maximum"]?.doubleValue, let v = value.doubleValue, v > max {
            problems.append("\(path): \(v) above maximum \(max)")
        }
        if let min = schema["minItems"]?.intValue, let a = value.arrayValue, a.count < min {
            problems.append("\(path): \(a.count) items, fewer than \(min)")
        }
        if case .object(let o) = value {
            let props = schema["properties"]?.objectValue ?? JSONObject()
            for req in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[req] == nil {
                problems.append("\(path): missing required \(req)")
            }
            for (k, v) in o {
                if let s = props[k] {
                    problems += validate(v, s, at: "\(path).\(k)")
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(path): unexpected property \(k)")
                }
            }
        }
        if case .array(let a) = value, let items = schema["items"] {
            for (i, v) in a.enumerated() { problems += validate(v, items, at: "\(path)[\(i)]") }
        }
        return problems
    }

    /// The keywords it judges, and the ones that only describe.
    static let known: Set<String> = [
        "$ref", "type", "const", "enum", "minimum", "maximum", "minItems", "properties", "required", "additionalProperties", "items", "oneOf", "anyOf", "allOf",
        "description", "title", "examples", "default", "format",
    ]

    func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        default: return false
        }
    }

    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var cur: JSONValue? = document
        for part in ref.dropFirst(2).split(separator: "/") { cur = cur?[String(part)] }
        return cur
    }
}
