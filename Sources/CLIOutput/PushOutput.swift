import Engine

/// `docker push`'s lines when its output is not a terminal: the repository, each layer's changes of state (the
/// start of its upload, no byte counts), then `TAG: digest: sha256:… size: N`.
public enum PushOutput {
    /// The line an event prints, if any.
    public static func line(_ event: PushEvent) -> String? {
        switch event {
        case .repository(let name):
            return "The push refers to repository [\(name)]"
        case .layer(let id, let status):
            if case .pushing(let bytes, _) = status, bytes > 0 { return nil }
            return "\(id.short): \(status.text)"
        }
    }

    /// The closing line.
    public static func summary(_ result: PushResult) -> String {
        "\(result.reference.tag ?? "latest"): digest: \(result.digest) size: \(result.size)"
    }

    /// The full reference pushed (`-q` prints only this).
    public static func fullReference(_ result: PushResult) -> String {
        result.reference.name + ":" + (result.reference.tag ?? "latest")
    }
}
