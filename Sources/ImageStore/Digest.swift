import CCrypto

/// A content digest, `sha256:<64 lowercase hex>`.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 64 lowercase hex characters.
    public let hex: String

    /// Parses `sha256:<hex>`; nil for any other algorithm or a malformed value.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        self.init(hex: String(text.dropFirst(7)))
    }

    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        self.hex = hex
    }

    public var description: String { "sha256:" + hex }
    /// The 12-character short form `docker images` shows.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    /// The digest of `bytes`.
    public static func of(_ bytes: [UInt8]) -> Digest {
        let h = SHA256()
        bytes.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    public static func of(_ text: String) -> Digest { of(Array(text.utf8)) }

    /// The digest of an empty layer tar (1024 zero bytes), which Docker uses for metadata-only steps.
    public static let emptyLayer = Digest.of([UInt8](repeating: 0, count: 1024))
}

/// Incremental SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA extensions).
public final class SHA256 {
    private let context: OpaquePointer?

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// The digest; the hasher must not be used afterwards.
    public func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for b in out {
            hex.append(digits[Int(b >> 4)])
            hex.append(digits[Int(b & 0x0F)])
        }
        // 64 hex digits from a 32-byte digest always form a valid Digest.
        return Digest(hex: String(decoding: hex, as: UTF8.self)) ?? Digest.zeroForUnreachable
    }

}

extension Digest {
    /// Only used if libcrypto returned something impossible; keeps `finalize` total without a force unwrap.
    fileprivate static let zeroForUnreachable = Digest(hexUnchecked: String(repeating: "0", count: 64))

    private init(hexUnchecked: String) { self.hex = hexUnchecked }
}
