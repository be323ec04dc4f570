import Testing
import System

@testable import Builder

/// What COPY and ADD read: a tree whose paths and links resolve inside its root.
@Suite struct SourceTreeTests {
    /// A context opened by a path through a symbolic link still resolves the links inside it, so a COPY of a
    /// link copies (and hashes) its target; links never lead out of the tree.
    @Test func linksResolveInsideATreeOpenedThroughALink() throws {
        let f = try FileLayout("tree", directories: ["real/sub"], files: ["real/a.txt": Array("a".utf8)])
        defer { f.remove() }
        try f.link(["real/rel": "a.txt", "real/abs": "/a.txt", "real/sub/up": "../../../../a.txt", "real/dangling": "nothing", "via": "real"])
        let tree = try SourceTree(root: f.at("via"), ignore: nil, name: "the build context")
        #expect(tree.resolve("rel") == "a.txt")
        #expect(tree.resolve("abs") == "a.txt")
        #expect(tree.resolve("sub/up") == "a.txt")
        #expect(tree.resolve("dangling") == nil)
        #expect(tree.resolve("") == "")
        #expect(tree.status("rel")?.kind == .symbolicLink && tree.readLink("rel") == "a.txt")
        #expect(tree.status("sub/up")?.kind == .symbolicLink && tree.status("missing") == nil)
        #expect(try tree.expand("*.txt") == ["a.txt"])
        #expect(try tree.expand("sub/*") == ["sub/up"])
        #expect(tree.list("sub") == ["up"] && tree.list("a.txt") == [])
        var files: [(String, String)] = []
        let viaLink = try SourceHasher().source(tree, "rel", files: &files)
        #expect(try viaLink == SourceHasher().source(tree, "a.txt", files: &files))
    }

    @Test func aMissingTreeIsNotFound() throws {
        let error = #expect(throws: EstibaError.self) { try SourceTree(root: "/nonexistent/estiba-context", ignore: nil, name: "the build context") }
        #expect(error?.code == .notFound)
        #expect(error?.message == "Cannot open the build context at /nonexistent/estiba-context: No such file or directory.")
    }
}
