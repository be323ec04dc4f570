import System

/// When images a build or a container names come from a registry (Docker's and podman's `--pull`).
public enum PullPolicy: String, Sendable, CaseIterable {
    /// Pull an image only when the store lacks it (the default).
    case missing
    /// Pull every time; a registry with nothing newer costs one manifest request.
    case always
    /// Never pull: an image the store lacks is an error.
    case never
}

/// Where a build gets an image its `FROM` or `COPY --from` names (not a stage, not `scratch`) that it must fetch:
/// the caller supplies it (the engine pulls from the image's registry), so the Builder knows no registry.
public protocol BuildImageSource: Sendable {
    /// Brings the image `reference` into the store for the build step `step` (for `platform`,
    /// `os/arch[/variant]`, when given), reporting its progress as the caller chooses, and returns a spec that
    /// names it in the store (its ID).
    func fetch(_ reference: String, platform: String?, step: Int) async throws(EstibaError) -> String
}
