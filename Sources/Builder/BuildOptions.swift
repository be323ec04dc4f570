import Runtime

/// What to build and how (the `docker build` options Estiba supports).
public struct BuildOptions: Sendable {
    /// The build context: COPY and ADD sources are relative to it.
    public var contextDirectory: String
    /// The Dockerfile; default `<context>/Dockerfile`. Ignored when `dockerfileText` is set.
    public var dockerfilePath: String?
    /// The Dockerfile's text, given inline.
    public var dockerfileText: String?
    /// `--build-arg` values (a nil value means "take it from the environment", as with `--build-arg NAME`).
    public var buildArgs: [String: String] = [:]
    /// Build up to this stage (name or index); default the last one.
    public var target: String?
    /// Labels added to the final image.
    public var labels: [String: String] = [:]
    /// Run every step, reusing nothing.
    public var noCache = false
    /// Network for RUN steps.
    public var network: NetworkMode = .bridge
    /// Only predict which steps the cache would serve and why the others would run.
    public var dryRun = false
    /// When the images `FROM` and `COPY --from` name are pulled (`--pull`): when missing (the default), always
    /// (once per build), or never. A dry run never pulls.
    public var pull: PullPolicy = .missing
    /// What fetches those images; nil: only the store's images are used (the engine supplies one that pulls).
    public var imageSource: (any BuildImageSource)?

    public init(contextDirectory: String) { self.contextDirectory = contextDirectory }
}
