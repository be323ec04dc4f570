/// BuildKit's "did you mean": of the options, the one closest to a misspelt name, when fewer than 3 edits away.
enum NameSuggestion {
    /// The option closest to `value`, case-sensitively, when fewer than 3 edits away (of equally close ones, the
    /// first in sorted order); nil for an exact match.
    static func closest<S: Sequence<String>>(to value: String, among options: S) -> String? {
        let v = Array(value.utf8)
        let ascii = v.allSatisfy { $0 < 0x80 }
        var rows = (Array(repeating: 0, count: v.count + 1), Array(repeating: 0, count: v.count + 1))
        var best: String?
        var bestDistance = 3
        for option in options {
            // The distance is at least the difference in length.
            guard abs(option.utf8.count - v.count) <= bestDistance else { continue }
            let d: Int
            if ascii, let fast = option.utf8.withContiguousStorageIfAvailable({ o in
                o.allSatisfy { $0 < 0x80 } ? distance(v, o, &rows) : nil
            }), let fast {
                d = fast
            } else {
                d = distance(Array(value.unicodeScalars), Array(option.unicodeScalars))
            }
            if d == 0 { return nil }
            if d < bestDistance || (d == bestDistance && best.map { option < $0 } == true) {
                bestDistance = d
                best = option
            }
        }
        return best
    }

    /// Levenshtein distance of two ASCII texts, in two reusable rows.
    static func distance(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>, _ rows: inout ([Int], [Int])) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        for j in 0...a.count { rows.0[j] = j }
        for i in 1...b.count {
            rows.1[0] = i
            for j in 1...a.count {
                rows.1[j] = min(rows.0[j] + 1, rows.1[j - 1] + 1, rows.0[j - 1] + (b[i - 1] == a[j - 1] ? 0 : 1))
            }
            swap(&rows.0, &rows.1)
        }
        return rows.0[a.count]
    }

    /// Levenshtein distance.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
