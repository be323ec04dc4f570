import Builder
import ImageStore
import System

extension EstibaError {
    init(_ e: BuildError) {
        let code: Code
        switch e.kind {
        case .syntax: code = .syntax
        case .notFound: code = .notFound
        case .stepFailed: code = .buildFailed
        case .invalidArgument: code = .invalidArgument
        case .io: code = .io
        case .cancelled: code = .cancelled
        }
        var context: [String: String] = [:]
        if let l = e.line { context["line"] = String(l) }
        if let i = e.instruction { context["instruction"] = i }
        if let c = e.exitCode { context["exitCode"] = String(c) }
        if let t = e.outputTail { context["output"] = t }
        self.init(code, e.message, context: context)
    }
}

extension Engine {
    func builder() throws(EstibaError) -> Builder { try sharedBuilder() }

    /// Builds a Dockerfile and tags the result with `tags` (nothing is tagged when the build fails; a dry run
    /// builds and tags nothing).
    public func build(_ options: BuildOptions, tags: [String], onEvent: BuildEventHandler? = nil) async throws(EstibaError) -> BuildResult {
        let references = try tags.map { t throws(EstibaError) in try Self.reference(t) }
        var result: BuildResult
        let builder = try sharedBuilder()
        do throws(BuildError) { result = try await builder.build(options, onEvent: onEvent) } catch { throw EstibaError(error) }
        if !options.dryRun, let image = result.image {
            result.image = try await withStore { store throws(StoreError) in try await store.list(image, references: references) }
        }
        return result
    }
}
