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
    public var network: NetworkMode = .none
    /// Only predict which steps the cache would serve and why the others would run.
    public var dryRun = false

    public init(contextDirectory: String) { self.contextDirectory = contextDirectory }
}
