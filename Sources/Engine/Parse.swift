import Dockerfile
import System

/// Where a Dockerfile comes from.
public enum DockerfileSource: Sendable {
    case text(String)
    /// A file path; relative paths resolve against the engine process's working directory.
    case path(String)
}

/// The answer to `parse`: the AST, stages and diagnostics, plus the file it came from.
public struct ParseReport: Sendable {
    public var path: String?
    public var analysis: DockerfileAnalysis

    public init(path: String?, analysis: DockerfileAnalysis) {
        self.path = path
        self.analysis = analysis
    }
}

extension Engine {
    /// Parses a Dockerfile. Syntax problems are diagnostics in the report, not errors; errors are for an
    /// unreadable source or cancellation.
    public func parse(_ source: DockerfileSource, progress: ProgressHandler? = nil) async throws(EstibaError)
        -> ParseReport
    {
        try parseNow(source, progress: progress)
    }

    /// The synchronous core of `parse`, for callers that answer inline (small texts, no I/O).
    public func parseNow(_ source: DockerfileSource, progress: ProgressHandler? = nil) throws(EstibaError)
        -> ParseReport
    {
        let text: String
        var path: String?
        switch source {
        case .text(let t): text = t
        case .path(let p):
            text = try readDockerfile(p)
            path = p
        }
        progress?(ProgressEvent(stage: "read", message: "read \(text.utf8.count) bytes", completed: 1, total: 3))
        if Task.isCancelled { throw .cancelled }
        let parsed = DockerfileParser.parse(text, isCancelled: { Task.isCancelled })
        progress?(
            ProgressEvent(
                stage: "parsed", message: "parsed \(parsed.instructions.count) instructions", completed: 2, total: 3))
        if Task.isCancelled { throw .cancelled }
        let analysis = DockerfileAnalysis(parsed)
        progress?(
            ProgressEvent(
                stage: "analyzed", message: "found \(analysis.stages.count) stages", completed: 3, total: 3))
        return ParseReport(path: path, analysis: analysis)
    }

    /// Reads a regular file of at most `maxDockerfileSize` bytes.
    func readDockerfile(_ path: String) throws(EstibaError) -> String {
        let ctx = ["file": path]
        let file: FileDescriptor
        do { file = try FileDescriptor.open(path) } catch {
            if error.isNotFound {
                throw EstibaError(.notFound, "No such file: \(path). Check the path (relative paths start at the service's working directory).", context: ctx)
            }
            throw EstibaError(.io, "Cannot open \(path): \(error.reason).", context: ctx)
        }
        let status: FileStatus
        do { status = try file.status() } catch {
            throw EstibaError(.io, "Cannot read \(path): \(error.reason).", context: ctx)
        }
        guard status.kind == .regular else {
            throw EstibaError(.invalidArgument, "\(path) is not a regular file; give the path of a Dockerfile.", context: ctx)
        }
        let limit = configuration.maxDockerfileSize
        guard status.size <= Int64(limit) else {
            throw EstibaError(.invalidArgument, "\(path) is \(status.size) bytes, over the \(limit)-byte limit for a Dockerfile.", context: ctx)
        }
        // A file that grew since its status was read is cut at the size it had.
        do { return String(decoding: try file.readAll(upTo: Int(clamping: status.size)), as: UTF8.self) } catch {
            throw EstibaError(.io, "Cannot read \(path): \(error.reason).", context: ctx)
        }
    }
}
