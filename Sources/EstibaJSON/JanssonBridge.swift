import CJansson
import System

/// Conversion between `JSONValue` and libjansson trees; the only place that touches jansson.
extension JSONValue {
    /// Parses one JSON text (any top-level type). jansson caps nesting depth, so hostile input cannot
    /// exhaust the stack; invalid UTF-8 is rejected.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(EstibaError) -> JSONValue {
        var err = json_error_t()
        let flags = JSON_DECODE_ANY | JSON_ALLOW_NUL
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self),
            let root = json_loadb(base, bytes.count, Int(flags), &err)
        else {
            if bytes.isEmpty { throw EstibaError(.badInput, "empty input") }
            throw EstibaError(
                .badInput, "\(errorText(&err)) (line \(err.line), column \(err.column))",
                context: ["line": String(err.line), "column": String(err.column), "position": String(err.position)])
        }
        defer { json_decref(root) }
        return fromJansson(root)
    }

    public static func parse(_ bytes: [UInt8]) throws(EstibaError) -> JSONValue {
        let result = bytes.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Result<JSONValue, EstibaError> in
            Result { () throws(EstibaError) in try parse(buf) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(EstibaError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Compact encoding (no spaces), keys in insertion order.
    public func encoded() -> [UInt8] { dump(flags: JSON_COMPACT) }

    /// Indented encoding for people (`indent` spaces per level).
    public func encodedPretty(indent: Int = 2) -> [UInt8] { dump(flags: Int32(indent & 0x1F)) }

    /// Compact encoding as a String.
    public func encodedString() -> String { String(decoding: encoded(), as: UTF8.self) }

    private func dump(flags: Int32) -> [UInt8] {
        let root = toJansson()
        defer { json_decref(root) }
        return Self.dump(root, flags: flags)
    }

    /// jansson's text for a tree (borrowed, not released).
    static func dump(_ root: UnsafeMutablePointer<json_t>, flags: Int32, expectedSize: Int = 0) -> [UInt8] {
        var buffer = estiba_dump_buffer(data: nil, length: 0, capacity: 0)
        if expectedSize > 0, let p = malloc(expectedSize) {
            buffer.data = p.assumingMemoryBound(to: CChar.self)
            buffer.capacity = expectedSize
        }
        defer { free(buffer.data) }
        guard estiba_dump(root, Int(flags | JSON_ENCODE_ANY), &buffer) == 0, let data = buffer.data else {
            return Array("null".utf8)
        }
        return [UInt8](UnsafeRawBufferPointer(start: data, count: buffer.length))
    }

    private static func errorText(_ err: inout json_error_t) -> String {
        withUnsafeBytes(of: &err.text) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func fromJansson(_ j: UnsafeMutablePointer<json_t>) -> JSONValue {
        switch j.pointee.type {
        case JSON_OBJECT:
            var obj = JSONObject()
            var it = json_object_iter(j)
            while let i = it {
                if let k = json_object_iter_key(i), let v = json_object_iter_value(i) {
                    let len = json_object_iter_key_len(i)
                    let key = k.withMemoryRebound(to: UInt8.self, capacity: len) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
                    }
                    obj.append(key, fromJansson(v))
                }
                it = json_object_iter_next(j, i)
            }
            return .object(obj)
        case JSON_ARRAY:
            let n = json_array_size(j)
            var arr = [JSONValue]()
            arr.reserveCapacity(n)
            for idx in 0..<n {
                if let v = json_array_get(j, idx) { arr.append(fromJansson(v)) }
            }
            return .array(arr)
        case JSON_STRING:
            let len = json_string_length(j)
            guard let p = json_string_value(j) else { return .string("") }
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: len) {
                String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
            })
        case JSON_INTEGER: return .int(Int64(json_integer_value(j)))
        case JSON_REAL: return .double(json_real_value(j))
        case JSON_TRUE: return .bool(true)
        case JSON_FALSE: return .bool(false)
        default: return .null
        }
    }

    /// A new jansson reference owned by the caller.
    func toJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null: return json_null()
        case .bool(let b): return b ? json_true() : json_false()
        case .int(let i): return json_integer(json_int_t(i)) ?? json_null()
        case .double(let d): return (d.isFinite ? json_real(d) : nil) ?? json_null()
        case .string(let s): return Self.janssonString(s)
        case .array(let a):
            guard let arr = json_array() else { return json_null() }
            for v in a { json_array_append_new(arr, v.toJansson()) }
            return arr
        case .object(let o):
            guard let obj = json_object() else { return json_null() }
            for (k, v) in o {
                var key = k
                key.withUTF8 { kb in
                    kb.withMemoryRebound(to: CChar.self) { kc in
                        _ = json_object_setn_new_nocheck(obj, kc.baseAddress ?? emptyCString, kc.count, v.toJansson())
                    }
                }
            }
            return obj
        }
    }

    static func janssonString(_ s: String) -> UnsafeMutablePointer<json_t> {
        var str = s
        return str.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { c in
                json_stringn_nocheck(c.baseAddress ?? emptyCString, c.count)
            }
        } ?? json_null()
    }
}

/// A NUL byte that lives forever (never written), for empty strings whose buffer has no address.
nonisolated(unsafe) let emptyCString: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

