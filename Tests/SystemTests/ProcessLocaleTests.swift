import Glibc
import System
import Testing

@Suite struct ProcessLocaleTests {
    @Test func choosesTheFirstLocaleTheSystemHas() {
        #expect(ProcessLocale.setCharacterType(["no-such-locale.UTF-9", "C.UTF-8", "C"]) == "C.UTF-8")
        #expect(String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8")
        #expect(ProcessLocale.setCharacterType(["no-such-locale.UTF-9"]) == nil)
        #expect(String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8")
    }
}
