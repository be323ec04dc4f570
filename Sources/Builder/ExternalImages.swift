import Dockerfile
import ImageStore
import System

extension BuildRun {
    /// The image a `FROM` or `COPY --from` names that is neither a stage nor `scratch`, held by the build's lease:
    /// the store's, or fetched through `options.imageSource` as `options.pull` says — missing: when the store
    /// lacks it; always: once per reference and platform in the build. A dry run never fetches.
    /// `what` names it in errors (`The base image busybox`).
    func externalImage(_ reference: String, platform: String?, node: Node, what: String) async throws(EstibaError) -> ImageRecord {
        // `busybox` and `docker.io/library/busybox:latest` are one image.
        let key = ((try? RemoteReference(parsing: reference))?.description ?? reference) + "\u{0}" + (platform ?? "")
        if let spec = fetched[key] { return try await held(spec, node: node, what: what) }
        let source = options.dryRun ? nil : options.imageSource
        if let source, options.pull == .always {
            return try await fetch(reference, platform: platform, key: key, source: source, node: node, what: what)
        }
        do { return try await builder.store.use(reference) } catch {
            guard error.code == .notFound, let source, options.pull == .missing else {
                let advice = options.pull == .never && !options.dryRun ? " Pull it (estiba pull \(reference)), or build without --pull=never." : " Import, load, pull or build it first."
                throw self.error(node, .notFound, "\(what) is not in the store: \(error.message)\(advice)")
            }
            return try await fetch(reference, platform: platform, key: key, source: source, node: node, what: what)
        }
    }

    private func fetch(
        _ reference: String, platform: String?, key: String, source: any BuildImageSource, node: Node, what: String
    ) async throws(EstibaError) -> ImageRecord {
        let spec: String
        do { spec = try await source.fetch(reference, platform: platform, step: step) } catch {
            if error.code == .cancelled { throw error }
            throw self.error(node, error.code, "\(what) could not be pulled: \(error.message) Import, load or build it first, or check its name.")
        }
        fetched[key] = spec
        return try await held(spec, node: node, what: what)
    }

    /// The fetched image, held by the build's lease.
    private func held(_ spec: String, node: Node, what: String) async throws(EstibaError) -> ImageRecord {
        do { return try await builder.store.use(spec) } catch {
            throw self.error(node, error.code, "\(what) was pulled, but is no longer in the store (removed meanwhile?): \(error.message) Build again.")
        }
    }
}
