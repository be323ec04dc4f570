import Engine

/// The lines Docker prints when `run`, `create` or a build's `FROM` pulls an image: `Unable to find image
/// 'busybox:latest' locally` (when the store lacked it), the pull's lines, then `Digest:` and `Status:`.
public enum ImagePullOutput {
    public static func lines(_ event: ImagePullEvent) -> [String] {
        switch event {
        case .missingLocally(let reference): ["Unable to find image '\(reference)' locally"]
        case .progress(let e): PullOutput.line(e).map { [$0] } ?? []
        case .pulled(let result): Array(PullOutput.summary(result).prefix(2))
        }
    }
}
