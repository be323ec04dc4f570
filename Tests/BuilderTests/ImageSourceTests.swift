import Synchronization
import Testing

@testable import Builder
@testable import ImageStore
import System

/// How a build asks its `BuildImageSource` for the images `FROM` and `COPY --from` name: only for images (never
/// stages or scratch), as the pull policy says, once per image and platform, with the step and the platform.
@Suite struct ImageSourceTests {
    /// Hands out one image of the store for any reference, and records what it was asked.
    final class RecordingSource: BuildImageSource {
        let image: String
        let calls = Mutex<[String]>([])
        init(image: String) { self.image = image }

        func fetch(_ reference: String, platform: String?, step: Int) async throws(EstibaError) -> String {
            calls.withLock { $0.append("\(reference) \(platform ?? "-") \(step)") }
            return image
        }
    }

    /// An image built FROM scratch holding /f, listed as local/base:1; its ID.
    func baseImage(_ f: BuildFixture) async throws -> String {
        try f.write("f", "from the base\n")
        let result = try await f.builder.build(f.options("FROM scratch\nCOPY f /f\n"))
        let listed = try await f.builder.store.list(try #require(result.image), references: [try ImageReference(parsing: "local/base:1")])
        return listed.id.description
    }

    @Test func onlyImagesAreFetchedOncePerImageAndPlatform() async throws {
        let f = try BuildFixture("source-missing")
        defer { f.remove() }
        let source = RecordingSource(image: try await baseImage(f))
        var options = f.options(
            "ARG P=linux/arm64\nFROM --platform=$P example.com/team/base:1 AS one\nFROM one AS two\nFROM scratch\n"
                + "COPY --from=two /f /g\nCOPY --from=example.com/team/base:1 /f /h\nCOPY --from=example.com/team/base:1 /f /i\n")
        options.imageSource = source
        let result = try await f.builder.build(options)
        #expect(result.imageID != nil)
        // The FROM (step 2) for its platform; COPY --from (step 6) for the build's; step 7 reuses step 6's.
        #expect(source.calls.withLock { $0 } == ["example.com/team/base:1 linux/arm64 2", "example.com/team/base:1 - 6"])
    }

    @Test func alwaysFetchesEvenWhatTheStoreHasButOnceForEverySpelling() async throws {
        let f = try BuildFixture("source-always")
        defer { f.remove() }
        let id = try await baseImage(f)
        let source = RecordingSource(image: id)
        var options = f.options("FROM local/base:1\nCOPY --from=docker.io/local/base:1 /f /g\nCOPY --from=local/base /f /h\n")
        options.imageSource = source
        options.pull = .missing
        // Only local/base (latest), which the store lacks.
        _ = try await f.builder.build(options)
        #expect(source.calls.withLock { $0 } == ["local/base - 3"])
        options.pull = .always
        _ = try await f.builder.build(options)
        #expect(source.calls.withLock { $0 } == ["local/base - 3", "local/base:1 - 1", "local/base - 3"])
    }

    @Test func neverAndDryRunsFetchNothing() async throws {
        let f = try BuildFixture("source-never")
        defer { f.remove() }
        let source = RecordingSource(image: try await baseImage(f))
        var options = f.options("FROM example.com/absent:1\nRUN true\n")
        options.imageSource = source
        options.pull = .never
        let never = await #expect(throws: EstibaError.self) { try await f.builder.build(options) }
        #expect(never?.message.contains("line 1") == true && never?.message.contains("build without --pull=never") == true, "\(String(describing: never))")
        options.pull = .always
        options.dryRun = true
        let dry = await #expect(throws: EstibaError.self) { try await f.builder.build(options) }
        #expect(dry?.message.contains("is not in the store") == true, "\(String(describing: dry))")
        #expect(source.calls.withLock { $0 }.isEmpty)
    }
}
