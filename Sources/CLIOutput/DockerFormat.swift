import Engine
import System

/// Output formats that match the docker CLI byte for byte.
public enum DockerFormat {
    /// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, Go's `%.3g`.
    public static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var size = Double(bytes)
        var i = 0
        while size >= 1000, i < units.count - 1 {
            size /= 1000
            i += 1
        }
        return goG3(size) + units[i]
    }

    /// Go's `%.3g` for 0 ≤ v < 1000.
    public static func goG3(_ v: Double) -> String {
        if v == 0 { return "0" }
        var s = NumberText.format(v, "%.3g")
        // C prints "1e+03" like Go; Go never pads the exponent beyond two digits either.
        if s.contains("e") { return s }
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// go-units `HumanDuration`.
    public static func humanDuration(seconds d: Double) -> String {
        let seconds = Int(d)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(d / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int(d / 3600 + 0.5)
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(d / 3600) / 24 / 365) years"
    }

    /// "40 seconds ago", or "N/A" for times before 2000 (as docker prints).
    public static func createdSince(_ t: Timestamp?, now: Timestamp? = nil) -> String {
        guard let t, t.seconds > 946_684_800 else { return "N/A" }
        let now = now ?? Timestamp.now()
        let d = Double(now.seconds - t.seconds) + Double(now.nanoseconds - t.nanoseconds) / 1e9
        return humanDuration(seconds: d) + " ago"
    }

    /// Display width as go-runewidth counts it (East Asian wide and fullwidth characters take two columns).
    public static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + scalarWidth($1) }
    }

    public static func scalarWidth(_ c: Unicode.Scalar) -> Int {
        let v = c.value
        if v == 0 || c.properties.generalCategory == .nonspacingMark || c.properties.generalCategory == .enclosingMark { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(v) } ? 2 : 1
    }

    /// docker's `Ellipsis`: at most `max` columns, the last one an ellipsis when cut.
    public static func ellipsis(_ s: String, _ max: Int) -> String {
        if width(s) <= max { return s }
        var out = String.UnicodeScalarView()
        var w = 0
        for c in s.unicodeScalars {
            let cw = scalarWidth(c)
            if w + cw > max - 1 { break }
            out.append(c)
            w += cw
        }
        return String(out) + "…"
    }

    /// Go's text/tabwriter as the docker CLI sets it up (minwidth 10, padding 3, last column unpadded).
    public static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() where i < columns - 1 { widths[i] = max(widths[i], max(10, width(cell) + 3)) }
        }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                out += cell
                if i < row.count - 1 { out += String(repeating: " ", count: widths[i] - width(cell)) }
            }
            out += "\n"
        }
        return out
    }
}

extension DockerFormat {
    /// The `(repository, tag, digest)` rows `docker images` shows for an image: one per tag, with its repository's
    /// digest (every digest with `digests`); a repository with digests but no tag as `<none>`; an image with
    /// neither as `<none> <none> <none>`.
    public static func imageNames(_ image: ImageRecord, digests: Bool) -> [(repository: String, tag: String, digest: String)] {
        var rows: [(repository: String, tag: String, digest: String)] = []
        var byRepository: [String: [String]] = [:]
        for d in image.repoDigests { byRepository[d.name, default: []].append(d.digest.description) }
        var tagged: Set<String> = []
        for r in image.references {
            tagged.insert(r.name)
            let ds = byRepository[r.name] ?? ["<none>"]
            for d in digests ? ds : [ds[0]] { rows.append((r.name, r.tag, d)) }
        }
        for name in byRepository.keys.sorted() where !tagged.contains(name) {
            let ds = byRepository[name] ?? []
            for d in digests ? ds : Array(ds.prefix(1)) { rows.append((name, "<none>", d)) }
        }
        if rows.isEmpty { rows.append(("<none>", "<none>", "<none>")) }
        return rows
    }
}
