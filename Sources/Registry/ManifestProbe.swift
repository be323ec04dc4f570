import ImageStore
import System

extension Puller {
    /// Asks the registry (or a mirror allowed to) for the manifest the reference names — its tag, or its digest —
    /// and stores nothing: the manifest's digest when the registry has it, the client's failure otherwise (not
    /// found, denied, unreachable).
    public func probe() async throws(EstibaError) -> Digest {
        let shown = reference.familiarName + (reference.tag.map { ":" + $0 } ?? "") + (reference.digest.map { "@" + $0.description } ?? "")
        let top = try await fetchManifest(reference.digest?.description ?? reference.tag ?? "latest", pinned: reference.digest, shown: shown)
        return Digest.of(top.bytes)
    }
}
