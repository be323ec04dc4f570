import Glibc
import System
import Testing

@Suite struct DirectoryRemovalTests {
    @Test func removesAnEmptyDirectoryOnly() throws {
        let scratch = try Scratch()
        try Files.makeDirectory(scratch.at("empty"))
        try Files.removeDirectory(scratch.at("empty"))
        #expect(!Files.exists(scratch.at("empty")))

        try scratch.write("full/file", "kept")
        let error = #expect(throws: EstibaError.self) { try Files.removeDirectory(scratch.at("full")) }
        #expect(error?.errorNumber == ENOTEMPTY)
        #expect(error?.message == "Cannot remove directory \(scratch.at("full")): Directory not empty.")
        #expect(scratch.read("full/file") == "kept")

        let missing = #expect(throws: EstibaError.self) { try Files.removeDirectory(scratch.at("missing")) }
        #expect(missing?.isNotFound == true)
    }
}
