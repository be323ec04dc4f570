import Engine
import Synchronization
import System

/// `docker pull`'s lines when its output is not a terminal: the reference resolved, each layer's changes of
/// state (no byte counts), then the digest, the status and the full reference.
public enum PullOutput {
    /// `Using default tag: latest` when `text` names neither a tag nor a digest.
    public static func defaultTagLine(_ text: String) -> String? {
        RemoteReference.namesTagOrDigest(text) ? nil : "Using default tag: latest"
    }

    /// The line an event prints, if any.
    public static func line(_ event: PullEvent) -> String? {
        switch event {
        case .resolving(let tagOrDigest, let repository):
            return "\(tagOrDigest): Pulling from \(repository)"
        case .layer(let id, let status):
            switch status {
            case .waiting: return "\(id.short): Pulling fs layer"
            case .alreadyExists, .verifying, .downloaded, .complete: return "\(id.short): \(status.text)"
            case .downloading, .extracting: return nil
            }
        }
    }

    /// `Digest: …`, `Status: …` and the full reference.
    public static func summary(_ result: PullResult) -> [String] {
        let r = result.reference
        let familiar = r.familiarName + (r.digest.map { "@" + $0.description } ?? r.tag.map { ":" + $0 } ?? "")
        let status = result.downloaded ? "Downloaded newer image for \(familiar)" : "Image is up to date for \(familiar)"
        return ["Digest: \(result.digest)", "Status: \(status)", fullReference(result)]
    }

    /// After every tag of a repository (`-a`): the status for the repository, and its full name.
    public static func allTagsSummary(_ results: [PullResult]) -> [String] {
        guard let first = results.first else { return [] }
        let r = first.reference
        let status = results.contains(where: \.downloaded) ? "Downloaded newer image for" : "Image is up to date for"
        return ["Status: \(status) \(r.familiarName)", r.name]
    }

    /// `docker.io/library/busybox:latest` (`-q` prints only this).
    public static func fullReference(_ result: PullResult) -> String {
        let r = result.reference
        return r.name + (r.digest.map { "@" + $0.description } ?? r.tag.map { ":" + $0 } ?? "")
    }
}

/// `docker pull`'s output on a terminal: a line per layer, redrawn in place as its state changes, with a
/// progress bar while it downloads (`a1b2c3d4e5f6: Downloading [=====>        ]  1.234MB/3.456MB`). Events may
/// come from several threads; `render` returns the bytes to write for each, in order.
public final class PullProgressDisplay: Sendable {
    private struct State {
        /// Each layer's line, top first.
        var lines: [Digest: Int] = [:]
    }
    private let state = Mutex(State())
    /// Whether bars are drawn (Docker draws them on terminals wider than 110 columns).
    let bars: Bool

    public init(columns: Int = 120) { bars = columns > 110 }

    /// The text that shows `event`: a new line for a layer seen first, else the cursor moved up to its line, the
    /// line rewritten, and the cursor moved back down.
    public func render(_ event: PullEvent) -> String {
        state.withLock { s in text(event, &s) }
    }

    /// Renders `event` and writes it with `write` in one step: lines from several threads stay in order.
    public func show(_ event: PullEvent, write: (String) -> Void) {
        state.withLock { s in write(text(event, &s)) }
    }

    private func text(_ event: PullEvent, _ s: inout State) -> String {
        switch event {
        case .resolving:
            return (PullOutput.line(event) ?? "") + "\n"
        case .layer(let id, let status):
            let text = "\(id.short): \(status == .waiting ? "Pulling fs layer" : status.text)" + (bars ? Self.bar(status) : "")
            guard let line = s.lines[id] else {
                s.lines[id] = s.lines.count
                return text + "\n"
            }
            let up = s.lines.count - line
            return "\u{1B}[\(up)A\u{1B}[2K\r" + text + "\r\u{1B}[\(up)B"
        }
    }

    /// ` [====>     ]  1.234MB/3.456MB` while downloading (Docker's jsonmessage progress), else nothing.
    public static func bar(_ status: LayerStatus) -> String {
        guard case .downloading(let current, let total) = status, total > 0 else { return "" }
        let filled = min(50, Int(Double(current) / Double(total) * 100) / 2)
        let box = "[" + String(repeating: "=", count: filled) + ">" + String(repeating: " ", count: 50 - filled) + "] "
        let numbers = current > total ? "" : pad(humanSize4(current), 8) + "/" + humanSize4(total)
        return " " + box + numbers
    }

    /// go-units `HumanSize` (decimal units, four significant digits), as Docker's progress shows sizes.
    static func humanSize4(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var size = Double(bytes)
        var i = 0
        while size >= 1000, i < units.count - 1 {
            size /= 1000
            i += 1
        }
        return NumberText.format(size, "%.4g") + units[i]
    }

    static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}
