import Engine

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
