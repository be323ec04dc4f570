import System

/// A registry's mirror as a pull uses it: its client (anonymous, with the mirror host's own TLS settings) and
/// whether it may resolve tags.
struct MirrorClient: Sendable {
    let client: RegistryClient
    let resolve: Bool
}

extension Puller {
    /// Where to ask for something, in order: each mirror that may serve it — every mirror for content named by
    /// digest, only those allowed to `resolve` for a tag — then the registry itself.
    func sources(byDigest: Bool) -> [RegistryClient] {
        mirrors.filter { byDigest || $0.resolve }.map(\.client) + [client]
    }

    /// Whether a source's failure moves on to the next source: a mirror's does (unreachable, unknown content, a
    /// digest that does not match), unless the pull was cancelled; the registry's, the last, is final.
    func passOver(_ error: EstibaError, last: Bool) -> Bool {
        !last && error.code != .cancelled && !Task.isCancelled
    }
}
