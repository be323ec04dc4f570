import System
import Foundation
import Testing

@testable import Builder
@testable import Dockerfile
@testable import ImageStore

/// Cache keys: the same inputs give the same key, each input changes it, and the values are those earlier
/// builds stored (a different key would be a cache miss for every user).
@Suite struct CacheKeyTests {
    func key(
        parent: String = "scratch", instruction: String = "COPY a.txt /a", sources: String = "file:0123", args: [(String, String)] = [("V", "1")],
        extra: String = "network=none"
    ) -> Digest {
        BuildCache.key(parent: parent, instruction: instruction, sources: sources, args: args, extra: extra)
    }

    @Test func theSameInputsGiveTheSameKey() {
        #expect(key() == key())
        #expect(key().hex == "cfe8ba837d41bf8f69ab5f6393e13e850e4d0a2ca4a3c03b8cf0d4b1cb9355b0")
    }

    @Test func eachInputChangesTheKey() {
        let variants = [
            key(parent: "sha256:" + String(repeating: "1", count: 64)), key(instruction: "COPY a.txt /b"), key(sources: "file:0124"),
            key(args: []), key(args: [("V", "2")]), key(args: [("W", "1")]), key(args: [("V", "1"), ("W", "1")]), key(extra: "network=host"),
        ]
        #expect(Set(variants + [key()]).count == variants.count + 1)
    }

    /// A context file's digest is Docker's tarsum entry without mtime: content, mode and type count, times do not.
    @Test func aSourceDigestFollowsContentAndModeNotTime() throws {
        let f = try BuildFixture("hash")
        defer { f.remove() }
        try f.write("a.txt", "hello")
        let hasher = SourceHasher()
        func digest() throws -> String {
            var files: [(String, String)] = []
            let tree = try SourceTree(root: f.context, ignore: nil, name: "the build context")
            return try hasher.source(tree, "a.txt", files: &files)
        }
        let first = try digest()
        #expect(first == "file:77e4c6687b1cc59a13eb28c0eddb4469fbfb71cd92ada91b5c56befae4e799c1")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: f.context + "/a.txt")
        #expect(try digest() == first)
        try f.write("a.txt", "hellO")
        #expect(try digest() != first)
        try f.write("a.txt", "hello", mode: 0o755)
        #expect(try digest() != first)
        try f.write("a.txt", "hello")
        #expect(try digest() == first)
        #expect(SourceHasher.combine(["file:1"]) == "file:1")
        #expect(SourceHasher.combine(["file:1", "file:2"]) != SourceHasher.combine(["file:2", "file:1"]))
    }

    /// A COPY's key material: its sources' digests and its instruction text (flags, sources as given, the
    /// resolved destination), and its history line.
    @Test func aCopysKeyMaterial() async throws {
        let f = try BuildFixture("copy")
        defer { f.remove() }
        try f.write("a.txt", "hello")
        let run = try f.run("FROM scratch\n")
        run.context = try SourceTree(root: f.context, ignore: nil, name: "the build context")
        var state = StageState(index: 0, name: nil, config: ImageConfig(architecture: "amd64"), image: nil, parentKey: "scratch")
        state.config.config.workingDir = "/app"
        func material(_ line: String) async throws -> (StepSources, CopyPlan) {
            let node = try #require(DockerfileParser.parse(line).instructions.first)
            guard case .copy(let arguments) = try TypedInstruction(node).instruction else { throw EstibaError.build(.syntax, "not a COPY") }
            let request = try run.expandCopy(node, arguments, state: &state, add: false)
            let sources = try #require(try await run.resolveSources(node, request, state: state))
            defer { sources.release() }
            let hash = try run.hashSources(sources)
            return (hash, try run.planCopy(node, request, sources: sources, hash: hash, workingDir: "/app", shell: state.shell))
        }
        let (hash, plan) = try await material("COPY --chown=1:2 a.txt dst/")
        let entry = "77e4c6687b1cc59a13eb28c0eddb4469fbfb71cd92ada91b5c56befae4e799c1"
        #expect(hash.digest == "file:" + entry && hash.files.map(\.0) == ["a.txt"] && hash.files.map(\.1) == [entry])
        #expect(plan.instruction == "COPY --chown=1:2 a.txt /app/dst/" && plan.destination == "/app/dst/")
        #expect(plan.createdBy == "/bin/sh -c #(nop) COPY --chown=1:2file:\(entry) in /app/dst/ ")
        let copyKey = BuildCache.key(parent: "scratch", instruction: plan.instruction, sources: hash.digest, args: [], extra: "")
        #expect(copyKey.hex == "1c7e7e4824a63b6bebbacc201f0a10f02ea64d05ad07b38e5a9cd57a53bad9be")
        // The same step again gives the same material; another flag or destination another instruction.
        let again = try await material("COPY --chown=1:2 a.txt dst/")
        #expect(again.0.digest == hash.digest && again.1.instruction == plan.instruction)
        #expect(try await material("COPY --chmod=600 a.txt dst/").1.instruction == "COPY --chmod=600 a.txt /app/dst/")
        #expect(try await material("COPY a.txt /b").1.instruction == "COPY a.txt /b")
        // Here-documents are sources named after their delimiter.
        let heredoc = try await material("COPY a.txt <<n.txt /d/\nhi\nn.txt\n")
        #expect(heredoc.1.instruction == "COPY a.txt <<n.txt /d/" && heredoc.0.files.map(\.0) == ["a.txt", "<<n.txt"])
        #expect(heredoc.0.digest == SourceHasher.combine(["file:" + entry, "file:" + Digest.of("hi\n").hex]))
    }
}
