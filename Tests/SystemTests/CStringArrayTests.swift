import System
import Testing

@Suite struct CStringArrayTests {
    static let samples: [[String]] = [[], [""], ["sh", "-c", "echo héllo wörld", "", "PATH=/usr/bin:/bin"], (0..<1000).map { "arg\($0)" }]

    @Test(arguments: samples) func roundTrips(strings: [String]) {
        let back = strings.withCStringArray { [String](cStringArray: $0) }
        #expect(back == strings)
    }

    @Test func theConstantFormEndsWithNull() {
        let strings = ["a", "bc"]
        strings.withConstCStringArray { argv in
            #expect(argv[0].map { String(cString: $0) } == "a")
            #expect(argv[1].map { String(cString: $0) } == "bc")
            #expect(argv[2] == nil)
        }
    }

    @Test func optionalStringsStayNull() {
        #expect(withOptionalCString(nil) { $0 == nil })
        #expect(withOptionalCString("x") { $0.map { String(cString: $0) } } == "x")
    }
}
