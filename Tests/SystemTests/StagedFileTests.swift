import System
import Testing

@Suite struct StagedFileTests {
    @Test func commitsUnderANameChosenAfterWriting() throws {
        let scratch = try Scratch()
        try Files.makeDirectory(scratch.at("tmp"))
        try Files.makeDirectory(scratch.at("blobs"))
        let file = try StagedFile(stagingDirectory: scratch.at("tmp"))
        try file.descriptor.writeAll("layer bytes")
        #expect(try FileDescriptor.open(scratch.at("tmp"), .directory).names().count == 1)
        try file.commit(to: scratch.at("blobs/digest"))
        #expect(scratch.read("blobs/digest") == "layer bytes")
        #expect(try Files.status(scratch.at("blobs/digest")).permissions == 0o644)
        #expect(try FileDescriptor.open(scratch.at("tmp"), .directory).names().isEmpty)
    }

    @Test func aFileNeverCommittedIsRemoved() throws {
        let scratch = try Scratch()
        do {
            let file = try StagedFile(stagingDirectory: scratch.path)
            try file.descriptor.writeAll("half")
        }
        #expect(try FileDescriptor.open(scratch.path, .directory).names().isEmpty)
        let discarded = try StagedFile(stagingDirectory: scratch.path)
        discarded.discard()
        #expect(try FileDescriptor.open(scratch.path, .directory).names().isEmpty)
    }

    @Test func aFailedCommitRemovesTheFileAndKeepsTheTarget() throws {
        let scratch = try Scratch()
        try scratch.write("target/kept", "old")
        let file = try StagedFile(stagingDirectory: scratch.path)
        try file.descriptor.writeAll("new")
        let error = #expect(throws: EstibaError.self) { try file.commit(to: scratch.at("target")) }
        #expect(error?.errorNumber != 0)
        #expect(scratch.read("target/kept") == "old")
        #expect(try FileDescriptor.open(scratch.path, .directory).names() == ["target"])
    }

    @Test func adoptsAFileAlreadyInStaging() throws {
        let scratch = try Scratch()
        try scratch.write("unpacked/blob", "from an archive")
        try Files.setPermissions(scratch.at("unpacked/blob"), 0o600)
        try StagedFile(adopting: scratch.at("unpacked/blob")).commit(to: scratch.at("stored"))
        #expect(scratch.read("stored") == "from an archive")
        #expect(try Files.status(scratch.at("stored")).permissions == 0o644)
        #expect(!Files.exists(scratch.at("unpacked/blob")))
        do { _ = try StagedFile(adopting: scratch.at("stored")) }
        #expect(!Files.exists(scratch.at("stored")))
    }
}
