/// The Dockerfile instructions: the one list of keywords the parser, the builder and the change applier use.
/// The raw value is the keyword in lower case.
public enum InstructionKeyword: String, CaseIterable, Sendable {
    case add, arg, cmd, copy, entrypoint, env, expose, from, healthcheck, label, maintainer, onbuild, run, shell
    case stopSignal = "stopsignal"
    case user, volume, workdir

    /// The keyword written in any case; nil when it names no instruction.
    public init?(_ written: String) {
        // The parser and the editor ask this for every instruction: an ASCII spelling is folded to lower case and
        // packed into two words, compared with the keywords' (no allocation, no hashing); others are lower-cased
        // first, as BuildKit does (the Kelvin sign is a k there).
        var text = written
        let found = text.withUTF8 { Self.packedASCII($0) }
        switch found {
        case .some(let packed?):
            guard let entry = Self.packedKeywords.first(where: { $0.packed == packed }) else { return nil }
            self = entry.keyword
        case .some(nil): return nil
        case nil:
            guard let keyword = InstructionKeyword(rawValue: written.lowercased()) else { return nil }
            self = keyword
        }
    }

    /// A spelling folded to lower case and packed with its length; nil when it is not ASCII (the caller
    /// lower-cases it the Unicode way), .some(nil) when it is too long or short to be a keyword.
    private static func packedASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Packed?? {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            guard byte < 0x80 else { return nil }
            guard i < 16 else { continue }
            let folded = UInt64(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
            if i < 8 { low |= folded << (8 * UInt64(i)) } else { high |= folded << (8 * UInt64(i - 8)) }
        }
        guard (1...16).contains(bytes.count) else { return .some(nil) }
        return .some(Packed(low: low, high: high, count: bytes.count))
    }

    private struct Packed: Equatable {
        var low: UInt64
        var high: UInt64
        var count: Int
    }

    /// Every keyword's packed spelling.
    private static let packedKeywords: [(packed: Packed, keyword: InstructionKeyword)] = allCases.compactMap { k in
        var name = k.rawValue
        guard let packed = name.withUTF8({ packedASCII($0) }) ?? nil else { return nil }
        return (packed, k)
    }

    /// The keyword as messages and history show it (`STOPSIGNAL`).
    public var name: String { rawValue.uppercased() }
}
