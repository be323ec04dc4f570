import System

/// A registry's mirror as a pull uses it: its client (anonymous, with the mirror host's own TLS settings) and
/// whether it may resolve tags.
struct MirrorClient: Sendable {
    let client: RegistryClient
    let resolve: Bool
}

extension Puller {
    /// Runs `request` on each mirror that may serve it — every mirror for content named by digest, only those
    /// allowed to `resolve` for a tag — in order, then on the registry itself. A mirror's failure (unreachable,
    /// unknown content, a digest that does not match) moves on to the next; the registry's answer is final.
    func fromMirrorsFirst<T>(
        byDigest: Bool, _ request: (RegistryClient) async throws(EstibaError) -> T
    ) async throws(EstibaError) -> T {
        for mirror in mirrors where byDigest || mirror.resolve {
            do throws(EstibaError) {
                return try await request(mirror.client)
            } catch {
                if error.code == .cancelled || Task.isCancelled { throw error }
            }
        }
        return try await request(client)
    }
}
