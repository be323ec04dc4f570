import ImageStore

/// One step of a build as it starts.
public struct BuildStepStart: Sendable {
    /// 1-based, over every step of the stages being built (FROM included), like Docker's `Step 3/17`.
    public var step: Int
    public var total: Int
    public var stage: Int
    /// The instruction as written (continuations joined).
    public var instruction: String
    /// 1-based Dockerfile line.
    public var line: Int
}

/// How one step went.
public struct BuildStepReport: Sendable {
    public var step: Int
    public var total: Int
    public var stage: Int
    public var instruction: String
    public var line: Int
    /// nil for FROM (not a cached step); true when the cache served it.
    public var cached: Bool?
    /// Why the step was (or, in a dry run, would be) rebuilt.
    public var reason: String?
    /// The image the step produced (nil in a dry run when the step would run).
    public var imageID: Digest?
    /// Bytes of file content in the step's layer (0 for metadata steps).
    public var layerSize: Int64
    public var durationSeconds: Double
    /// The history entry's `created_by`.
    public var createdBy: String?
}

/// Progress of a build, in order.
public enum BuildEvent: Sendable {
    case stepStarted(BuildStepStart)
    /// The step missed the cache and now runs (or, in a dry run, would run), and why.
    case stepRebuilding(step: Int, reason: String)
    /// Output of a RUN step, as it streams.
    case output(step: Int, bytes: [UInt8])
    case stepFinished(BuildStepReport)
    case warning(String)
}

public typealias BuildEventHandler = @Sendable (BuildEvent) -> Void

/// What a build made.
public struct BuildResult: Sendable {
    /// The final image (nil for a dry run whose last step would run).
    public var imageID: Digest?
    public var image: ImageRecord?
    public var steps: [BuildStepReport]
    public var warnings: [String]
    public var dryRun: Bool
}
