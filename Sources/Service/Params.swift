import EstibaJSON
import JSONRPC

/// Reads named params strictly: unknown names and wrong types are -32602 errors that say what is expected.
struct Params {
    let object: JSONObject
    let method: String

    init(_ request: RPCRequest, allowed: Set<String>, allowUnknown: Bool = false) throws(RPCError) {
        method = request.method
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

    func string(_ key: String) throws(RPCError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
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
        guard let v = object[key], !v.isNull else { return nil }
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
        guard let v = object[key], !v.isNull else { return nil }
        guard let o = v.objectValue else { throw typeError(key, "an object of strings", v) }
        var out: [String: String] = [:]
        for (k, item) in o {
            guard let s = item.stringValue else { throw typeError(key, "an object of strings", v) }
            out[k] = s
        }
        return out
    }

    func bool(_ key: String) throws(RPCError) -> Bool? {
        guard let v = object[key], !v.isNull else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, "true or false", v) }
        return b
    }

    private func typeError(_ key: String, _ expected: String, _ got: JSONValue) -> RPCError {
        RPCError(
            code: RPCErrorCode.invalidParams,
            message: "Invalid params: \"\(key)\" of \(method) must be \(expected), not \(got.typeName).",
            data: ["param": .string(key)])
    }
}
