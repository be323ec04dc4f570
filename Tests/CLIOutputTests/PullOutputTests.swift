import CLIOutput
import Engine
import Testing

/// `docker pull`'s lines when its output is not a terminal.
@Suite struct PullOutputTests {
    @Test func linesAreDockersNonTerminalOnes() throws {
        #expect(PullOutput.defaultTagLine("busybox") == "Using default tag: latest")
        #expect(PullOutput.defaultTagLine("localhost:5000/busybox") == "Using default tag: latest")
        #expect(PullOutput.defaultTagLine("busybox:1") == nil)
        #expect(PullOutput.defaultTagLine("busybox@sha256:" + String(repeating: "a", count: 64)) == nil)
        let id = try #require(Digest("sha256:" + String(repeating: "ab", count: 32)))
        #expect(PullOutput.line(.resolving(tagOrDigest: "latest", repository: "library/busybox")) == "latest: Pulling from library/busybox")
        #expect(PullOutput.line(.layer(id: id, .waiting)) == "abababababab: Pulling fs layer")
        #expect(PullOutput.line(.layer(id: id, .alreadyExists)) == "abababababab: Already exists")
        #expect(PullOutput.line(.layer(id: id, .complete)) == "abababababab: Pull complete")
        #expect(PullOutput.line(.layer(id: id, .downloading(bytes: 1, total: 2))) == nil)
    }
}
