/// The one typed API every front end (JSON-RPC service, CLI) calls. Stateless operations run concurrently.
public final class Engine: Sendable {
    public static let name = "estiba"
    public static let version = "0.1.0"

    public let configuration: EngineConfiguration

    public init(configuration: EngineConfiguration = EngineConfiguration()) {
        self.configuration = configuration
    }
}

/// Engine settings.
public struct EngineConfiguration: Sendable {
    /// Largest Dockerfile `parse` reads from disk.
    public var maxDockerfileSize: Int

    public init(maxDockerfileSize: Int = 64 << 20) {
        self.maxDockerfileSize = maxDockerfileSize
    }
}

/// Progress reported by long operations.
public struct ProgressEvent: Sendable, Equatable {
    public var stage: String
    public var message: String
    public var completed: Int
    public var total: Int

    public init(stage: String, message: String, completed: Int, total: Int) {
        self.stage = stage
        self.message = message
        self.completed = completed
        self.total = total
    }
}

public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
