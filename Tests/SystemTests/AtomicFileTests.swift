import Glibc
import System
import Testing

@Suite struct AtomicFileTests {
    @Test func replacesTheFileAndLeavesNoTemporaryFile() throws {
        let scratch = try Scratch()
        try scratch.write("record.json", "old")
        try AtomicFile.write(Array("new".utf8), to: scratch.at("record.json"), permissions: 0o600)
        #expect(scratch.read("record.json") == "new")
        #expect(try Files.status(scratch.at("record.json")).permissions == 0o600)
        #expect(try FileDescriptor.open(scratch.path, .directory).names() == ["record.json"])
    }

    @Test func aWriteWithoutFlushesStillReplacesTheFileWhole() throws {
        let scratch = try Scratch()
        try scratch.write("config.json", "old")
        try AtomicFile.write(Array("new".utf8), to: scratch.at("config.json"), permissions: 0o640, durable: false)
        #expect(scratch.read("config.json") == "new")
        #expect(try Files.status(scratch.at("config.json")).permissions == 0o640)
        #expect(try FileDescriptor.open(scratch.path, .directory).names() == ["config.json"])
    }

    @Test func aWriteThatRunsOutOfSpaceKeepsTheOldContent() throws {
        let scratch = try Scratch()
        let small = scratch.at("small")
        try Files.makeDirectory(small)
        try Mounts.mount("tmpfs", on: small, type: "tmpfs", options: "size=64k")
        defer { try? Mounts.detach(small) }
        let target = small + "/config.json"
        try AtomicFile.write(Array("good".utf8), to: target)

        let error = #expect(throws: EstibaError.self) {
            try AtomicFile.write(patternBytes(1 << 20), to: target)
        }
        #expect(error?.errorNumber == ENOSPC)
        #expect(String(decoding: try Files.read(target), as: UTF8.self) == "good")
        #expect(try FileDescriptor.open(small, .directory).names() == ["config.json"])
    }

    @Test func anAbandonedWriteKeepsTheOldContent() throws {
        let scratch = try Scratch()
        try scratch.write("index.json", "kept")
        do {
            let file = try AtomicFile(path: scratch.at("index.json"))
            try file.descriptor.writeAll("half of a new ind")
        }
        #expect(scratch.read("index.json") == "kept")
        #expect(try FileDescriptor.open(scratch.path, .directory).names() == ["index.json"])
    }

    @Test func stagesInAnotherDirectoryOfTheSameFileSystem() throws {
        let scratch = try Scratch()
        try Files.makeDirectory(scratch.at("tmp"))
        try Files.makeDirectory(scratch.at("blobs"))
        try AtomicFile.write(Array("blob".utf8), to: scratch.at("blobs/sha"), stagingDirectory: scratch.at("tmp"))
        #expect(scratch.read("blobs/sha") == "blob")
        #expect(try FileDescriptor.open(scratch.at("tmp"), .directory).names().isEmpty)
    }
}
