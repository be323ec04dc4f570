/// Compact JSON text produced by EstibaJSON's encoder — always a valid JSON value, so it can be spliced
/// into a larger document (for example a constant result that is encoded once).
public struct JSONText: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(_ value: JSONValue) { bytes = value.encoded() }
}
