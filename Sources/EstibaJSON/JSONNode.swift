import CJansson

/// A JSON value built directly as a libjansson tree, for results that are large or answered often: it skips
/// the intermediate `JSONValue` tree (and its Swift allocations) that `JSONValue.encoded()` converts from.
///
/// A node owns one jansson reference and is non-copyable; adding it to an object or array hands the
/// reference over, and a node that is never added is released when it goes out of scope.
public struct JSONNode: ~Copyable {
    let raw: UnsafeMutablePointer<json_t>

    init(raw: UnsafeMutablePointer<json_t>) { self.raw = raw }

    deinit { json_decref(raw) }

    /// Gives up ownership of the jansson reference (to a parent that steals it).
    consuming func take() -> UnsafeMutablePointer<json_t> {
        let r = raw
        discard self
        return r
    }

    /// An empty object; members keep the order they are set in.
    public static func object() -> JSONNode { JSONNode(raw: json_object() ?? json_null()) }

    /// An empty array.
    public static func array() -> JSONNode { JSONNode(raw: json_array() ?? json_null()) }

    public static func null() -> JSONNode { JSONNode(raw: json_null()) }

    public init(_ s: String) { raw = JSONValue.janssonString(s) }

    /// A string node, or null when `s` is nil.
    public init(optional s: String?) { raw = s.map(JSONValue.janssonString) ?? json_null() }

    public init(_ i: Int) { raw = json_integer(json_int_t(i)) ?? json_null() }

    public init(_ b: Bool) { raw = b ? json_true() : json_false() }

    /// The same value as a `JSONValue` document (for parts that are small or already built that way).
    public init(_ value: JSONValue) { raw = value.toJansson() }

    /// An array of strings.
    public init(_ strings: [String]) {
        raw = json_array() ?? json_null()
        for s in strings { json_array_append_new(raw, JSONValue.janssonString(s)) }
    }

    /// Sets an object member whose name is a literal (no copy of the name on the Swift side). Keys must be
    /// distinct: the member is added without looking for an existing one.
    public mutating func set(_ key: StaticString, _ value: consuming JSONNode) {
        let v = value.take()
        key.withUTF8Buffer { k in
            k.withMemoryRebound(to: CChar.self) { c in
                _ = json_object_setn_new_nocheck(raw, c.baseAddress ?? emptyCString, c.count, v)
            }
        }
    }

    /// Sets an object member; the name may be any string. Keys must be distinct (see the literal form).
    public mutating func set(_ key: String, _ value: consuming JSONNode) {
        let v = value.take()
        var k = key
        k.withUTF8 { kb in
            kb.withMemoryRebound(to: CChar.self) { c in
                _ = json_object_setn_new_nocheck(raw, c.baseAddress ?? emptyCString, c.count, v)
            }
        }
    }

    /// Appends to an array.
    public mutating func append(_ value: consuming JSONNode) {
        json_array_append_new(raw, value.take())
    }

    /// Compact JSON text of the tree; the tree is released. `expectedSize` (bytes), when known, saves
    /// growing the output buffer.
    public consuming func encoded(expectedSize: Int = 0) -> [UInt8] {
        let r = take()
        defer { json_decref(r) }
        return JSONValue.dump(r, flags: JSON_COMPACT, expectedSize: expectedSize)
    }
}
