import Builder
import Dockerfile
import ImageStore
import Registry
import Runtime

// The value types of Engine's API that the modules below it define. Front ends name them through Engine and
// import nothing below it; each is plain data (OCI documents and records, build options and events, the
// Dockerfile syntax tree).

// Images and their OCI documents.
public typealias Digest = ImageStore::Digest
public typealias Timestamp = ImageStore::Timestamp
public typealias ImageReference = ImageStore::ImageReference
public typealias ImageRecord = ImageStore::ImageRecord
public typealias ImageConfig = ImageStore::ImageConfig
public typealias ContainerConfig = ImageStore::ContainerConfig
public typealias HistoryEntry = ImageStore::HistoryEntry
public typealias RemovalEvent = ImageStore::RemovalEvent
public typealias RepoDigest = ImageStore::RepoDigest
public typealias PruneReport = ImageStore::PruneReport
public typealias VerifyReport = ImageStore::VerifyReport
public typealias ArchiveFormat = ImageStore::ArchiveFormat
public typealias LoadedImage = ImageStore::LoadedImage

// Pulls from registries.
public typealias RemoteReference = ImageStore::RemoteReference
public typealias PullEvent = Registry::PullEvent
public typealias LayerStatus = Registry::LayerStatus
public typealias PullResult = Registry::PullResult
public typealias PullEventHandler = @Sendable (PullEvent) -> Void

// Containers.
public typealias ContainerRecord = Runtime::ContainerRecord
public typealias NetworkMode = Runtime::NetworkMode
public typealias Network = Runtime::Network
public typealias NetworkAttachment = Runtime::NetworkAttachment
public typealias NetworkConnection = Runtime::NetworkConnection
public typealias PortMapping = Runtime::PortMapping
public typealias ResourceLimits = Runtime::ResourceLimits
public typealias TerminalSize = Runtime::TerminalSize

// Builds.
public typealias BuildOptions = Builder::BuildOptions
public typealias BuildEvent = Builder::BuildEvent
public typealias BuildEventHandler = Builder::BuildEventHandler
public typealias BuildResult = Builder::BuildResult
public typealias BuildStepReport = Builder::BuildStepReport
public typealias BuildCacheEntry = Builder::BuildCacheEntry

// The Dockerfile syntax tree `parse` returns.
public typealias DockerfileAnalysis = Dockerfile::DockerfileAnalysis
public typealias DockerfileNode = Dockerfile::Node
public typealias SourceRange = Dockerfile::SourceRange
public typealias Diagnostic = Dockerfile::Diagnostic

// What an editor asks about a Dockerfile.
public typealias SourcePosition = Dockerfile::SourcePosition
public typealias CompletionCandidate = Dockerfile::CompletionCandidate
public typealias OutlineSymbol = Dockerfile::OutlineSymbol
public typealias FoldingRegion = Dockerfile::FoldingRegion
public typealias DocumentFix = Dockerfile::DocumentFix
public typealias SemanticToken = Dockerfile::SemanticToken
