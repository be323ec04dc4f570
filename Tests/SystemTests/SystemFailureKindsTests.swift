import System
import Testing

@Suite struct SystemFailureKindsTests {
    @Test func tellsANonDirectoryAndANonEmptyOne() throws {
        let scratch = try Scratch()
        try scratch.write("file", "x")
        try scratch.write("full/entry", "x")
        try Files.makeDirectory(scratch.at("empty"))
        let notDirectory = #expect(throws: EstibaError.self) { try FileDescriptor.open(scratch.at("file/below")) }
        #expect(notDirectory?.isNotDirectory == true && notDirectory?.isNotEmpty == false)
        let notEmpty = #expect(throws: EstibaError.self) { try Files.rename(scratch.at("empty"), to: scratch.at("full")) }
        #expect(notEmpty?.isNotEmpty == true && notEmpty?.isNotDirectory == false)
    }
}
