import System
import Testing

/// Base64 as RFC 4648 writes it, and the leniency credential files need.
@Suite struct Base64Tests {
    @Test func encodesAndDecodesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(plain) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.decode("Zm9vYg") == Array("foob".utf8), "padding is optional")
        #expect(Base64.decode("Zm9v YmFy") == nil)
        #expect(Base64.decode("Zm9v-_==") == nil)
    }

    @Test func lenientDecodingTakesBlanksAndTheURLSafeAlphabet() {
        #expect(Base64.decode("dXNlcjpwYXNz\n", lenient: true) == Array("user:pass".utf8))
        #expect(Base64.decode("-_8=", lenient: true) == [0xFB, 0xFF])
        #expect(Base64.decode("not base64!", lenient: true) == nil)
    }
}
