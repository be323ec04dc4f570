import System
import Testing

@Suite struct ErrorNumberTests {
    @Test func namedNumbersAreTheOnesFailedCallsReport() throws {
        let scratch = try Scratch()
        let missing = #expect(throws: SystemError.self) { try Files.read(scratch.at("missing")) }
        #expect(missing?.code == ErrorNumber.notFound)
        try scratch.write("file", "x")
        let taken = #expect(throws: SystemError.self) { try Files.makeDirectory(scratch.at("file")) }
        #expect(taken?.code == ErrorNumber.alreadyExists)
        let notDirectory = #expect(throws: SystemError.self) { try Files.read(scratch.at("file/below")) }
        #expect(notDirectory?.code == ErrorNumber.notDirectory)
        #expect(SystemError.text(for: ErrorNumber.notFound) == "No such file or directory")
        #expect(SystemError.text(for: ErrorNumber.busy) == "Device or resource busy")
        #expect(SystemError.text(for: ErrorNumber.notPermitted) == "Operation not permitted")
    }
}
