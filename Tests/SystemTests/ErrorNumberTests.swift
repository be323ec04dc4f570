import System
import Testing

@Suite struct ErrorNumberTests {
    @Test func namedNumbersAreTheOnesFailedCallsReport() throws {
        let scratch = try Scratch()
        let missing = #expect(throws: EstibaError.self) { try Files.read(scratch.at("missing")) }
        #expect(missing?.errorNumber == ErrorNumber.notFound)
        try scratch.write("file", "x")
        let taken = #expect(throws: EstibaError.self) { try Files.makeDirectory(scratch.at("file")) }
        #expect(taken?.errorNumber == ErrorNumber.alreadyExists)
        let notDirectory = #expect(throws: EstibaError.self) { try Files.read(scratch.at("file/below")) }
        #expect(notDirectory?.errorNumber == ErrorNumber.notDirectory)
        #expect(ErrorNumber.text(ErrorNumber.notFound) == "No such file or directory")
        #expect(ErrorNumber.text(ErrorNumber.busy) == "Device or resource busy")
        #expect(ErrorNumber.text(ErrorNumber.notPermitted) == "Operation not permitted")
    }
}
