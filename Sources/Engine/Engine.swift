import Builder
import ImageStore
import Synchronization
import System

/// The one typed API every front end (JSON-RPC service, CLI) calls. Stateless operations run concurrently.
public final class Engine: Sendable {
    public static let name = "estiba"
    public static let version = "0.1.0"

    public let configuration: EngineConfiguration
    private let openedStore = Mutex<ImageStore?>(nil)
    private let openedBuilder = Mutex<Builder?>(nil)

    public init(configuration: EngineConfiguration = EngineConfiguration()) {
        self.configuration = configuration
    }

    /// The builder, made on first use and kept (its source digests stay memoized between builds).
    func sharedBuilder() throws(EstibaError) -> Builder {
        let store = try store()
        return openedBuilder.withLock { cached in
            if let cached { return cached }
            let b = Builder(store: store, root: configuration.root)
            cached = b
            return b
        }
    }

    /// The image store, opened (and created) on first use.
    func store() throws(EstibaError) -> ImageStore {
        let result: Result<ImageStore, EstibaError> = openedStore.withLock { cached in
            if let cached { return .success(cached) }
            do throws(EstibaError) {
                let s = try ImageStore(root: configuration.root)
                Self.installCollectionRoots(on: s, root: configuration.root)
                cached = s
                return .success(s)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let s): return s
        case .failure(let e):
            throw EstibaError(.io, "Cannot open the store at \(configuration.root): \(e.message) Pass --root DIR (or set ESTIBA_ROOT) to use another directory.", context: ["root": configuration.root])
        }
    }
}

/// Engine settings.
public struct EngineConfiguration: Sendable {
    /// The store root: `$ESTIBA_ROOT`, else `/var/lib/estiba`.
    public var root: String
    /// Largest Dockerfile `parse` reads from disk.
    public var maxDockerfileSize: Int

    /// This process is the `estiba` executable, which runs its hidden commands: a foreground container whose
    /// client is gone when it ends then has its end recorded at once (`estiba __settle`); otherwise whoever next
    /// opens the store records it.
    public var isEstibaExecutable: Bool

    public init(root: String? = nil, maxDockerfileSize: Int = 64 << 20, isEstibaExecutable: Bool = false) {
        self.root = root ?? EngineConfiguration.defaultRoot
        self.maxDockerfileSize = maxDockerfileSize
        self.isEstibaExecutable = isEstibaExecutable
    }

    public static var defaultRoot: String {
        if let r = Environment.value("ESTIBA_ROOT"), !r.isEmpty { return r }
        return "/var/lib/estiba"
    }

    /// Runs in `create` once the image's layers are held, before the container's record is written (tests pause
    /// a create there); nil otherwise.
    var beforeContainerRecord: (@Sendable () async -> Void)?
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
