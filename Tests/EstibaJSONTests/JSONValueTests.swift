import System
import Testing

@testable import EstibaJSON

@Suite struct JSONValueTests {
    @Test func roundTripKeepsOrderAndTypes() throws {
        let text = #"{"z":1,"a":[true,false,null,1.5,"x\u0000y"],"m":{"k":"é♥"},"n":-9007199254740993}"#
        let v = try JSONValue.parse(text)
        #expect(v["z"] == .int(1))
        #expect(v["a"]?.arrayValue?[4] == .string("x\u{0}y"))
        #expect(v["n"] == .int(-9007199254740993))
        #expect(v.objectValue?.keys == ["z", "a", "m", "n"])
        #expect(try JSONValue.parse(v.encodedString()) == v)
    }

    @Test func rejectsBadInput() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "nul", "\"\u{1}\""] {
            #expect(throws: EstibaError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
        #expect(throws: EstibaError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: EstibaError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect((try? JSONValue.parse(ok)) != nil)
    }

    @Test func encodingEscapesAndNonFinite() {
        let v: JSONValue = ["s": "a\"b\\c\n", "d": .double(.nan), "e": [:], "f": []]
        #expect(v.encodedString() == #"{"s":"a\"b\\c\n","d":null,"e":{},"f":[]}"#)
    }

    @Test func objectSetReplacesInPlace() {
        var o: JSONObject = ["a": 1, "b": 2]
        o["a"] = 3
        o["c"] = 4
        o["b"] = nil
        #expect(o.keys == ["a", "c"])
        #expect(o["a"] == .int(3))
    }
}
