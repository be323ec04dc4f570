import EstibaJSON
import System

/// Typed reads from JSON documents that name the document and field when something is off.
struct JSONFields {
    let object: JSONObject
    let document: String

    init(_ value: JSONValue, document: String) throws(EstibaError) {
        guard case .object(let o) = value else {
            throw EstibaError(.badInput, "\(document) is not a JSON object.", context: ["document": document])
        }
        object = o
        self.document = document
    }

    func optionalString(_ key: String) throws(EstibaError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw wrongType(key, "a string") }
        return s
    }

    func string(_ key: String) throws(EstibaError) -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    func int(_ key: String) throws(EstibaError) -> Int64 {
        guard let v = object[key] else { throw missing(key) }
        guard let i = v.intValue else { throw wrongType(key, "an integer") }
        return i
    }

    func optionalStrings(_ key: String) throws(EstibaError) -> [String]? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw wrongType(key, "an array of strings") }
        var out: [String] = []
        for item in a {
            guard let s = item.stringValue else { throw wrongType(key, "an array of strings") }
            out.append(s)
        }
        return out
    }

    func optionalObject(_ key: String) throws(EstibaError) -> JSONObject? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let o = v.objectValue else { throw wrongType(key, "an object") }
        return o
    }

    func stringMap(_ key: String) throws(EstibaError) -> [(String, String)] {
        guard let o = try optionalObject(key) else { return [] }
        var out: [(String, String)] = []
        for (k, v) in o {
            guard let s = v.stringValue else { throw wrongType("\(key).\(k)", "a string") }
            out.append((k, s))
        }
        return out
    }

    func missing(_ key: String) -> EstibaError {
        EstibaError(.badInput, "\(document) has no \"\(key)\".", context: ["document": document, "field": key])
    }

    func wrongType(_ key: String, _ expected: String) -> EstibaError {
        EstibaError(.badInput, "\"\(key)\" in \(document) is not \(expected).", context: ["document": document, "field": key])
    }

    static func parse(_ bytes: [UInt8], document: String) throws(EstibaError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw EstibaError(.badInput, "\(document) is not valid JSON: \(error).", context: ["document": document])
        }
    }
}

extension JSONObject {
    /// A JSON object from string pairs, keys sorted (as Go's encoding/json writes maps).
    static func sortedStrings(_ pairs: [(String, String)]) -> JSONObject {
        JSONObject(pairs.sorted { $0.0 < $1.0 }.map { ($0.0, JSONValue.string($0.1)) })
    }
}
