/// The flags BuildKit's instruction parser takes, by instruction, and its rules for them: a string flag needs
/// `=value`; a boolean one is `--name`, `--name=true` or `--name=false`; only a repeatable one may come twice;
/// any other flag is unknown (with "did you mean" for a near miss). Used to report, at parse time, the errors a
/// build would meet, in BuildKit's words.
enum FlagRules {
    enum Kind {
        case string, bool, strings
    }

    /// The flags `keyword` takes (an instruction missing here takes none).
    static func flags(of keyword: InstructionKeyword) -> [String: Kind] {
        switch keyword {
        case .from: return ["platform": .string]
        case .run: return ["mount": .strings, "network": .string, "security": .string, "device": .strings]
        case .copy: return ["from": .string, "chown": .string, "chmod": .string, "link": .bool, "parents": .bool, "exclude": .strings]
        case .add:
            return [
                "chown": .string, "chmod": .string, "link": .bool, "keep-git-dir": .bool, "checksum": .string, "exclude": .strings,
                "unpack": .bool,
            ]
        case .healthcheck:
            return ["interval": .string, "timeout": .string, "start-period": .string, "start-interval": .string, "retries": .string]
        case .arg: return ["required": .bool]
        default: return [:]
        }
    }

    /// The first problem with `flags` (as written, `--name[=value]`) for `keyword`, in BuildKit's words; nil when
    /// they are all right.
    static func problem(_ flags: [String], for keyword: InstructionKeyword) -> String? {
        let known = Self.flags(of: keyword)
        var used: Set<String> = []
        for flag in flags {
            guard flag.hasPrefix("--") else { return "arg should start with -- : \(flag)" }
            let hasValue = flag.contains("=")
            let flagName = String(flag.prefix { $0 != "=" })
            let value = hasValue ? String(flag.drop { $0 != "=" }.dropFirst()) : ""
            let name = String(flagName.dropFirst(2))
            guard let kind = known[name] else {
                let message = "unknown flag: \(flagName)"
                return NameSuggestion.closest(to: name, among: known.keys.sorted()).map { message + " (did you mean \($0)?)" } ?? message
            }
            if !used.insert(name).inserted, kind != .strings { return "duplicate flag specified: \(flagName)" }
            switch kind {
            case .bool:
                if hasValue, value.isEmpty { return "missing a value on flag: \(flagName)" }
                if !["", "true", "false"].contains(value.lowercased()) {
                    return "expecting boolean value for flag \(flagName), not: \(value)"
                }
            case .string, .strings:
                if !hasValue { return "missing a value on flag: \(flagName)" }
            }
        }
        return nil
    }
}
