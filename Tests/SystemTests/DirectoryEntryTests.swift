import Glibc
import System
import Testing

@Suite struct DirectoryEntryTests {
    @Test func createsInspectsAndListsEntries() throws {
        let scratch = try Scratch()
        let dir = try FileDescriptor.open(scratch.path, .directory)
        try dir.makeDirectory("sub", permissions: 0o700)
        try dir.makeSymbolicLink("link", to: "sub")
        try dir.makeNode("fifo", kind: .fifo, permissions: 0o600)
        try dir.writeAllFile("file", "abc")
        try dir.makeHardLink("hard", to: "file", in: dir)
        #expect((#expect(throws: EstibaError.self) { try dir.makeDirectory("sub") })?.isAlreadyExisting == true)

        #expect(try dir.readLink("link") == "sub")
        #expect(try dir.status(of: "link").kind == .symbolicLink)
        #expect(try dir.status(of: "link", followLinks: true).kind == .directory)
        #expect(try dir.status(of: "file").linkCount == 2)
        #expect(try dir.status(of: "file").size == 3)
        let entries = try dir.entries()
        #expect(entries.map(\.name) == ["fifo", "file", "hard", "link", "sub"])
        #expect(entries.map(\.kind) == [.fifo, .regular, .regular, .symbolicLink, .directory])

        try dir.setTimes(of: "link", accessed: FileTime(seconds: 5), modified: FileTime(seconds: 1_000_000, nanoseconds: 42))
        #expect(try dir.status(of: "link").modified == FileTime(seconds: 1_000_000, nanoseconds: 42))
        try dir.setPermissions(of: "file", 0o4751)
        #expect(try dir.status(of: "file").permissions == 0o4751)
        try dir.setOwner(of: "link", userID: 77, groupID: 88)
        #expect(try dir.status(of: "link").userID == 77)
        try dir.rename("hard", to: "moved", in: try dir.open("sub", .directory))
        #expect(try dir.open("sub", .directory).names() == ["moved"])
        try dir.removeEntry("fifo")
        #expect((#expect(throws: EstibaError.self) { try dir.status(of: "fifo") })?.isNotFound == true)
    }

    @Test func extendedAttributesRoundTrip() throws {
        let scratch = try Scratch()
        let dir = try FileDescriptor.open(scratch.path, .directory)
        try dir.makeDirectory("d")
        try dir.setExtendedAttribute(of: "d", "trusted.overlay.opaque", Array("y".utf8))
        #expect(try dir.extendedAttributes(of: "d").map(\.name) == ["trusted.overlay.opaque"])
        let d = try dir.open("d", .directory)
        #expect(try d.extendedAttribute("trusted.overlay.opaque") == Array("y".utf8))
        try d.removeExtendedAttribute("trusted.overlay.opaque")
        try d.removeExtendedAttribute("trusted.overlay.opaque")
        #expect(try d.extendedAttribute("trusted.overlay.opaque") == nil)
    }

    @Test func pathConveniences() throws {
        let scratch = try Scratch()
        try Files.makeDirectories(scratch.at("a/b/c"))
        try Files.ensureDirectory(scratch.at("a/b"))
        try scratch.write("a/file", "x")
        #expect(throws: EstibaError.self) { try Files.ensureDirectory(scratch.at("a/file")) }
        let temporary = try Files.makeTemporaryFile(in: scratch.path, prefix: "t-")
        #expect(temporary.path.hasPrefix(scratch.at("t-")))
        #expect(try Files.realPath(scratch.at("a/b/../file")) == scratch.at("a/file"))
        let lock = try FileDescriptor.open(scratch.at("lock"), [.readWrite, .create])
        #expect(try lock.lock(wait: false))
        let other = try FileDescriptor.open(scratch.at("lock"), .readWrite)
        #expect(try other.lock(wait: false) == false)
        lock.unlock()
        #expect(try other.lock(wait: false))
        #expect(FileNamePattern.matches("*.go", "main.go") && !FileNamePattern.matches("*.go", "main.c"))
        #expect(UserDatabase.userName(0) == "root")
        #expect(UserDatabase.groupName(0) == "root")
    }
}
