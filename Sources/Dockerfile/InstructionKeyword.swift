/// The Dockerfile instructions: the one list of keywords the parser, the builder and the change applier use.
/// The raw value is the keyword in lower case.
public enum InstructionKeyword: String, CaseIterable, Sendable {
    case add, arg, cmd, copy, entrypoint, env, expose, from, healthcheck, label, maintainer, onbuild, run, shell
    case stopSignal = "stopsignal"
    case user, volume, workdir

    /// The keyword written in any case; nil when it names no instruction.
    public init?(_ written: String) {
        // The parser and the editor ask this for every instruction: ASCII spellings are matched byte by byte
        // against the keywords of their length, ignoring case; others are lower-cased first, as BuildKit does
        // (the Kelvin sign is a k there).
        var text = written
        let found = text.withUTF8 { Self.matchASCII($0) }
        switch found {
        case .some(let keyword?): self = keyword
        case .some(nil): return nil
        case nil:
            guard let keyword = Self.byLength.lazy.flatMap({ $0 }).first(where: { $0.rawValue == written.lowercased() }) else { return nil }
            self = keyword
        }
    }

    /// The keyword `bytes` spell in any case of ASCII letters: nil when they are not all ASCII (the caller
    /// lower-cases them the Unicode way), .some(nil) when they spell none.
    private static func matchASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> InstructionKeyword?? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        guard bytes.count < byLength.count else { return .some(nil) }
        for keyword in byLength[bytes.count] {
            var same = true
            for (a, b) in zip(keyword.rawValue.utf8, bytes) where a != b {
                // Letters differ from their upper case by 0x20 only.
                guard b >= UInt8(ascii: "A"), b <= UInt8(ascii: "Z"), a == b | 0x20 else {
                    same = false
                    break
                }
            }
            if same { return .some(keyword) }
        }
        return .some(nil)
    }

    /// The keywords by the length of their name.
    private static let byLength: [[InstructionKeyword]] = {
        var table = [[InstructionKeyword]](repeating: [], count: (allCases.map(\.rawValue.utf8.count).max() ?? 0) + 1)
        for k in allCases { table[k.rawValue.utf8.count].append(k) }
        return table
    }()

    /// The keyword as messages and history show it (`STOPSIGNAL`).
    public var name: String { rawValue.uppercased() }
}
