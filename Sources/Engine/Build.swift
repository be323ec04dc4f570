import Builder
import ImageStore
import System

extension Engine {
    func builder() throws(EstibaError) -> Builder { try sharedBuilder() }

    /// Builds a Dockerfile and tags the result with `tags` (nothing is tagged when the build fails; a dry run
    /// builds and tags nothing). Images `FROM` and `COPY --from` name are pulled as `options.pull` says (unless
    /// the options bring their own `imageSource`); each pull's events go to `onPull` with the step they belong to.
    public func build(
        _ options: BuildOptions, tags: [String], onEvent: BuildEventHandler? = nil,
        onPull: (@Sendable (_ step: Int, ImagePullEvent) -> Void)? = nil
    ) async throws(EstibaError) -> BuildResult {
        let references = try tags.map { t throws(EstibaError) in try Self.reference(t) }
        let builder = try sharedBuilder()
        var options = options
        if options.imageSource == nil { options.imageSource = PullingImageSource(engine: self, onEvent: onPull) }
        let prepared = options
        // One lease for the build and the listing of its image: no collection in between takes the image.
        return try await withStore { store throws(EstibaError) -> BuildResult in
            var result = try await builder.build(prepared, onEvent: onEvent)
            if !prepared.dryRun, let image = result.image {
                result.image = try await store.list(image, references: references)
            }
            return result
        }
    }
}
