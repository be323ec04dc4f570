import EstibaJSON
import JSONRPC

/// Reads named params strictly: unknown names, wrong types, nulls and out-of-range numbers are -32602 errors
/// that name the parameter and say what is expected. An optional parameter is left out, never null.
struct Params {
    let object: JSONObject
    let method: String
    /// The request's context: its ID, and the way to send it notifications.
    let context: RPCContext

    init(_ request: RPCRequest, allowed: Set<String>, allowUnknown: Bool = false, context: RPCContext) throws(RPCError) {
        method = request.method
        self.context = context
        switch request.params {
        case nil: object = JSONObject()
        case .object(let o)?: object = o
        default:
            throw RPCErrorCode.invalidParams("\(request.method) takes named parameters (a JSON object), not an array")
        }
        if !allowUnknown {
            for k in object.keys where !allowed.contains(k) {
                throw RPCError(
                    code: RPCErrorCode.invalidParams,
                    message: "Invalid params: \(request.method) has no parameter \"\(k)\"; it takes \(allowed.sorted().joined(separator: ", ")).",
                    data: ["param": .string(k)])
            }
        }
    }

    /// The value given for `key`, or nil when it is left out; null is refused (no parameter is nullable).
    func value(_ key: String, _ expected: String) throws(RPCError) -> JSONValue? {
        guard let v = object[key] else { return nil }
        if v.isNull {
            throw RPCError(
                code: RPCErrorCode.invalidParams,
                message: "Invalid params: \"\(key)\" of \(method) must be \(expected), not null; leave it out to use the default.",
                data: ["param": .string(key)])
        }
        return v
    }

    func string(_ key: String) throws(RPCError) -> String? {
        guard let v = try value(key, "a string") else { return nil }
        guard case .string(let s) = v else { throw typeError(key, "a string", v) }
        return s
    }

    func requiredString(_ key: String) throws(RPCError) -> String {
        guard let s = try string(key) else {
            throw RPCError(
                code: RPCErrorCode.invalidParams, message: "Invalid params: \(method) needs \"\(key)\".",
                data: ["param": .string(key)])
        }
        return s
    }

    func strings(_ key: String) throws(RPCError) -> [String]? {
        guard let v = try value(key, "an array of strings") else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, "an array of strings", v) }
        var out: [String] = []
        for item in a {
            guard let s = item.stringValue else { throw typeError(key, "an array of strings", v) }
            out.append(s)
        }
        return out
    }

    /// An object whose values are all strings.
    func stringMap(_ key: String) throws(RPCError) -> [String: String]? {
        guard let v = try value(key, "an object of strings") else { return nil }
        guard let o = v.objectValue else { throw typeError(key, "an object of strings", v) }
        var out: [String: String] = [:]
        for (k, item) in o {
            guard let s = item.stringValue else { throw typeError(key, "an object of strings", v) }
            out[k] = s
        }
        return out
    }

    func bool(_ key: String) throws(RPCError) -> Bool? {
        guard let v = try value(key, "true or false") else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, "true or false", v) }
        return b
    }

    /// A whole number (a JSON number without a fraction, so 5 or 5.0, never "5" or 1.5) within `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64? {
        let expected = "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard let v = try value(key, expected) else { return nil }
        let n: Int64?
        switch v {
        case .int(let i): n = i
        case .double(let d): n = Int64(exactly: d)
        default: throw typeError(key, expected, v)
        }
        guard let n, range.contains(n) else { throw rangeError(key, expected, v) }
        return n
    }

    func requiredInteger(_ key: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64 {
        guard let n = try integer(key, in: range) else { throw missing(key) }
        return n
    }

    /// A finite number.
    func number(_ key: String) throws(RPCError) -> Double? {
        guard let v = try value(key, "a number") else { return nil }
        guard let d = v.doubleValue else { throw typeError(key, "a number", v) }
        guard d.isFinite else { throw rangeError(key, "a finite number", v) }
        return d
    }

    /// A container, image or volume reference: a non-empty string without blanks or control characters (an empty
    /// one would match every ID as a prefix).
    func reference(_ key: String, _ kind: String) throws(RPCError) -> String {
        let s = try requiredString(key)
        guard Self.validReference(s) else { throw emptyReference(key, kind) }
        return s
    }

    /// A non-empty array of references.
    func references(_ key: String, _ kind: String) throws(RPCError) -> [String] {
        guard let list = try strings(key), !list.isEmpty else {
            throw RPCError(
                code: RPCErrorCode.invalidParams,
                message: "Invalid params: \(method) needs \"\(key)\": a non-empty array of \(kind) names or IDs.",
                data: ["param": .string(key)])
        }
        for s in list where !Self.validReference(s) { throw emptyReference(key, kind) }
        return list
    }

    static func validReference(_ s: String) -> Bool {
        !s.isEmpty && !s.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    private func emptyReference(_ key: String, _ kind: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.invalidParams,
            message: "Invalid params: \"\(key)\" of \(method) must name a \(kind) by its name or ID: not empty, and without blanks or control characters.",
            data: ["param": .string(key)])
    }

    private func missing(_ key: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidParams, message: "Invalid params: \(method) needs \"\(key)\".", data: ["param": .string(key)])
    }

    private func rangeError(_ key: String, _ expected: String, _ got: JSONValue) -> RPCError {
        let shown = String(decoding: got.encoded(), as: UTF8.self)
        return RPCError(
            code: RPCErrorCode.invalidParams,
            message: "Invalid params: \"\(key)\" of \(method) must be \(expected), not \(shown.count > 40 ? String(shown.prefix(40)) + "…" : shown).",
            data: ["param": .string(key)])
    }

    private func typeError(_ key: String, _ expected: String, _ got: JSONValue) -> RPCError {
        RPCError(
            code: RPCErrorCode.invalidParams,
            message: "Invalid params: \"\(key)\" of \(method) must be \(expected), not \(got.typeName).",
            data: ["param": .string(key)])
    }
}
