import Glibc
import System
import Testing

@Suite struct ThreadWorkTests {
    @Test func runsOnAThreadOfItsOwnAndReturnsTheResult() async {
        let caller = UInt(pthread_self())
        let worker = await runOnThread { UInt(pthread_self()) }
        #expect(worker != caller)
        #expect(await runOnThread { 6 * 7 } == 42)
    }

    @Test func passesOnTheTypedError() async {
        do {
            _ = try await runOnThread { () throws(EstibaError) -> Int in
                throw EstibaError.system(ENOENT, "open", path: "/missing")
            }
            Issue.record("no error")
        } catch {
            #expect(error.isNotFound && error.path == "/missing")
        }
    }
}
