import CJSONRegion

/// Compact JSON text produced by EstibaJSON's encoder — always a valid JSON value, so it can be spliced
/// into a larger document (for example a constant result that is encoded once, or parts encoded in parallel).
public struct JSONText: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(_ value: JSONValue) { bytes = value.encoded() }

    public init(_ node: consuming JSONNode, expectedSize: Int = 0) { bytes = node.encoded(expectedSize: expectedSize) }

    init(validBytes: [UInt8]) { bytes = validBytes }

    /// Builds a tree and encodes it, with every jansson allocation of the tree (and of the encoding) carved
    /// from one region that is freed at once: for large documents, which cost jansson tens of thousands of
    /// small allocations. Nodes made by `build` must all end up in the tree it returns.
    public static func inRegion(expectedSize: Int = 0, _ build: () -> JSONNode) -> JSONText {
        let region = estiba_json_region_begin()
        defer { estiba_json_region_end(region) }
        return JSONText(build(), expectedSize: expectedSize)
    }

    /// Bytes that regions of the calling thread have handed out so far.
    static var regionBytesOnThisThread: Int { estiba_json_region_bytes() }

    /// The array whose elements are the elements of `parts`, in order (each part must be an array):
    /// `[1,2]` and `[3]` give `[1,2,3]`. Lets a long array be encoded in chunks, on several threads.
    public static func concatenating(arrays parts: [JSONText]) -> JSONText {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(parts.reduce(2) { $0 + $1.bytes.count })
        var first = true
        for part in parts {
            let b = part.bytes
            precondition(b.first == UInt8(ascii: "[") && b.last == UInt8(ascii: "]"), "JSONText part is not an array")
            guard b.count > 2 else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: b[1..<(b.count - 1)])
            first = false
        }
        out.append(UInt8(ascii: "]"))
        return JSONText(validBytes: out)
    }

    /// `object` (an encoded object) with one more member, `key`, added at the end. The caller guarantees that
    /// `object` has no member of that name.
    public static func adding(_ key: String, _ value: JSONText, to object: JSONText) -> JSONText {
        let o = object.bytes
        precondition(o.first == UInt8(ascii: "{") && o.last == UInt8(ascii: "}"), "JSONText is not an object")
        let name = JSONValue.string(key).encoded()
        var out = [UInt8]()
        out.reserveCapacity(o.count + name.count + value.bytes.count + 2)
        out.append(contentsOf: o[0..<(o.count - 1)])
        if o.count > 2 { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: name)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: value.bytes)
        out.append(UInt8(ascii: "}"))
        return JSONText(validBytes: out)
    }
}
