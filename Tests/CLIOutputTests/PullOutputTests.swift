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

    @Test func aTerminalDisplayRedrawsEachLayersLineWithDockersBar() throws {
        let a = try #require(Digest("sha256:" + String(repeating: "ab", count: 32)))
        let b = try #require(Digest("sha256:" + String(repeating: "cd", count: 32)))
        let display = PullProgressDisplay(columns: 120)
        #expect(display.render(.resolving(tagOrDigest: "latest", repository: "library/busybox")) == "latest: Pulling from library/busybox\n")
        #expect(display.render(.layer(id: a, .waiting)) == "abababababab: Pulling fs layer\n")
        #expect(display.render(.layer(id: b, .alreadyExists)) == "cdcdcdcdcdcd: Already exists\n")
        // a is two lines up: up, clear, rewrite, back down.
        let bar = "[" + String(repeating: "=", count: 17) + ">" + String(repeating: " ", count: 33) + "] "
        #expect(display.render(.layer(id: a, .downloading(bytes: 1_234_000, total: 3_456_789)))
            == "\u{1B}[2A\u{1B}[2K\rabababababab: Downloading " + bar + " 1.234MB/3.457MB\r\u{1B}[2B")
        #expect(display.render(.layer(id: a, .complete)) == "\u{1B}[2A\u{1B}[2K\rabababababab: Pull complete\r\u{1B}[2B")
        #expect(display.render(.layer(id: b, .complete)) == "\u{1B}[1A\u{1B}[2K\rcdcdcdcdcdcd: Pull complete\r\u{1B}[1B")
        // Narrow terminals get no bar, as with Docker.
        let narrow = PullProgressDisplay(columns: 80)
        _ = narrow.render(.layer(id: a, .waiting))
        #expect(narrow.render(.layer(id: a, .downloading(bytes: 1, total: 2))) == "\u{1B}[1A\u{1B}[2K\rabababababab: Downloading\r\u{1B}[1B")
        #expect(PullProgressDisplay.bar(.downloading(bytes: 512, total: 512)).hasSuffix("[" + String(repeating: "=", count: 50) + ">] " + "    512B/512B"))
    }
}
