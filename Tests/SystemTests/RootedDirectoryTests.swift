import Glibc
import System
import Testing

@testable import System

/// A root with links that point out of it, next to a directory it must never reach.
private struct Fixture {
    let scratch: Scratch
    var root: String { scratch.at("root") }

    init() throws {
        scratch = try Scratch()
        try scratch.write("outside/secret", "host")
        try scratch.write("root/inner/file", "inside")
        try scratch.link("root/abs", to: scratch.at("outside"))
        try scratch.link("root/rel", to: "../outside")
        try scratch.link("root/up", to: "../../../../..")
        try scratch.link("root/absfile", to: scratch.at("outside/secret"))
    }

    func rooted(_ resolution: RootedDirectory.Resolution, kernel: Bool = true) throws -> RootedDirectory {
        RootedDirectory(descriptor: try FileDescriptor.open(root, .directory), resolution: resolution, usesKernelResolution: kernel)
    }

    func text(_ dir: RootedDirectory, _ path: String) throws -> String {
        String(decoding: try dir.open(path).readAll(), as: UTF8.self)
    }
}

@Suite struct RefusingLinksTests {
    @Test func dotDotIsRefused() throws {
        let f = try Fixture()
        let dir = try f.rooted(.refuseLinks)
        let error = #expect(throws: EstibaError.self) { try dir.open("../outside/secret") }
        #expect(error?.errorNumber == EXDEV)
        #expect(throws: EstibaError.self) { try dir.open("inner/../../outside/secret") }
        #expect(throws: EstibaError.self) { try dir.status("..") }
    }

    @Test func symbolicLinksAreRefusedWhereverTheyStand() throws {
        let f = try Fixture()
        let dir = try f.rooted(.refuseLinks)
        #expect((#expect(throws: EstibaError.self) { try dir.open("abs/secret") })?.errorNumber == ELOOP)
        #expect((#expect(throws: EstibaError.self) { try dir.open("rel/secret") })?.errorNumber == ELOOP)
        #expect((#expect(throws: EstibaError.self) { try dir.open("absfile") })?.errorNumber == ELOOP)
        #expect(throws: EstibaError.self) { try dir.createFile("abs/new") }
        #expect(throws: EstibaError.self) { try dir.openDirectory("abs/made", create: true) }
        #expect(throws: EstibaError.self) { try dir.status("absfile", followLinks: true) }
        #expect(!Files.exists(f.scratch.at("outside/new")) && !Files.exists(f.scratch.at("outside/made")))
        // The link itself is an entry of the root: its status is fine.
        #expect(try dir.status("abs").kind == .symbolicLink)
        #expect(try dir.readLink("rel") == "../outside")
    }

    @Test func opensAndCreatesBelowTheRoot() throws {
        let f = try Fixture()
        let dir = try f.rooted(.refuseLinks)
        #expect(try f.text(dir, "/inner/file") == "inside")
        let made = try dir.openDirectory("a/b/c", create: true, permissions: 0o750)
        #expect(try made.status().permissions == 0o750)
        #expect(try dir.status("a").permissions == 0o750 && dir.status("a/b").permissions == 0o750)
        try dir.createFile("a/b/c/new", permissions: 0o640).writeAll("created")
        #expect(f.scratch.read("root/a/b/c/new") == "created")
        #expect(try dir.status("a/b/c/new").permissions == 0o640)
        #expect(throws: EstibaError.self) { try dir.createFile("a/b/c/new") }
        // An existing directory keeps its permissions.
        let before = try dir.status("inner").permissions
        try dir.openDirectory("inner", create: true, permissions: 0o700).close()
        #expect(try dir.status("inner").permissions == before)
    }
}

@Suite struct InRootTests {
    /// The kernel's openat2, and the component walk that stands in for it.
    static let kernel = [true, false]

    @Test(arguments: kernel) func absoluteLinksResolveInsideTheRoot(kernel: Bool) throws {
        let f = try Fixture()
        let dir = try f.rooted(.inRoot, kernel: kernel)
        #expect((#expect(throws: EstibaError.self) { try dir.open("abs/secret") })?.errorNumber == ENOENT)
        #expect(throws: EstibaError.self) { try dir.open("absfile") }
        try f.scratch.write("root" + f.scratch.at("outside/secret"), "jailed")
        #expect(try f.text(dir, "abs/secret") == "jailed")
        #expect(try f.text(dir, "absfile") == "jailed")
    }

    @Test(arguments: kernel) func dotDotStopsAtTheRoot(kernel: Bool) throws {
        let f = try Fixture()
        let dir = try f.rooted(.inRoot, kernel: kernel)
        #expect(throws: EstibaError.self) { try dir.open("../outside/secret") }
        #expect(throws: EstibaError.self) { try dir.open("rel/secret") }
        try f.scratch.write("root/outside/secret", "inner copy")
        #expect(try f.text(dir, "../outside/secret") == "inner copy")
        #expect(try f.text(dir, "inner/../../../outside/secret") == "inner copy")
        #expect(try f.text(dir, "rel/secret") == "inner copy")
        #expect(try dir.status("up", followLinks: true).isSameFile(as: try dir.descriptor.status()))
        #expect(try dir.resolvedPath(of: "rel/secret") == "outside/secret")
        #expect(try dir.resolvedPath(of: "up") == "")
        #expect(try dir.readLink("/inner/../rel") == "../outside")
    }

    @Test(arguments: kernel) func createsThroughLinksInsideTheRoot(kernel: Bool) throws {
        let f = try Fixture()
        let dir = try f.rooted(.inRoot, kernel: kernel)
        try dir.openDirectory("/made/here", create: true, owner: (1234, 4321)).close()
        #expect(try dir.status("made/here").userID == 1234)
        try f.scratch.link("root/dangling", to: "/etc/estiba-system-test")
        try dir.openDirectory("etc", create: true).close()
        try dir.open("dangling", [.writeOnly, .create], permissions: 0o600).writeAll("contained")
        #expect(f.scratch.read("root/etc/estiba-system-test") == "contained")
        #expect(!Files.exists("/etc/estiba-system-test"))
        // Like `mkdir -p`, a link to a missing directory is not a directory to create in.
        #expect(throws: EstibaError.self) { try dir.openDirectory("rel/dir", create: true) }
        try dir.openDirectory("outside", create: true).close()
        try dir.openDirectory("rel/dir", create: true).close()
        #expect(Files.exists(f.scratch.at("root/outside/dir")))
        #expect(!Files.exists(f.scratch.at("outside/dir")))
        #expect(try dir.status("dangling").kind == .symbolicLink)
        #expect(try dir.status("dangling", followLinks: true).kind == .regular)
    }

    @Test(arguments: kernel) func tooManyLinksFail(kernel: Bool) throws {
        let f = try Fixture()
        try f.scratch.link("root/loop", to: "loop")
        let dir = try f.rooted(.inRoot, kernel: kernel)
        #expect((#expect(throws: EstibaError.self) { try dir.open("loop") })?.errorNumber == ELOOP)
    }
}
