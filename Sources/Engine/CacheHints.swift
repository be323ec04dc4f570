import Builder
import Dockerfile
import ImageStore
import System

/// What the build cache says of one instruction of a Dockerfile, for an editor to show at the end of its line.
public struct CacheHint: Sendable, Equatable {
    /// The 0-based line the instruction ends on.
    public var line: Int
    /// `cached · 6.1kB`, or `not cached: source changed: config.txt`.
    public var label: String
    public var tooltip: String?
}

extension Engine {
    /// For each step of the Dockerfile `text` built in `contextDirectory`: whether the cache would serve it (with
    /// its layer's size from the last build) or why it would run, from the builder's dry run. A Dockerfile the
    /// builder cannot plan gets one hint on the line it names (or the first), saying why.
    public func cacheHints(text: String, contextDirectory: String, buildArgs: [String: String] = [:], target: String? = nil) async -> [CacheHint] {
        var options = BuildOptions(contextDirectory: contextDirectory)
        options.dockerfileText = text
        options.buildArgs = buildArgs
        options.target = target
        options.dryRun = true
        let analysis = DockerfileAnalysis(DockerfileParser.parse(text))
        /// The 0-based last line of the instruction starting on 1-based `line`.
        func endLine(_ line: Int) -> Int {
            analysis.parsed.ranges.first { $0.start.line == line - 1 }?.end.line ?? max(line - 1, 0)
        }
        let result: BuildResult
        do { result = try await build(options, tags: []) } catch {
            let line = error.line.map(endLine) ?? 0
            return [CacheHint(line: line, label: "not buildable: " + error.message, tooltip: nil)]
        }
        return result.steps.compactMap { step in
            guard let cached = step.cached else { return nil }
            let tooltip = step.createdBy
            if cached {
                let size = step.layerSize > 0 ? " · " + Self.readableSize(step.layerSize) : ""
                return CacheHint(line: endLine(step.line), label: "cached" + size, tooltip: tooltip)
            }
            return CacheHint(line: endLine(step.line), label: "not cached: " + (step.reason ?? "not built before"), tooltip: tooltip)
        }
    }
}
