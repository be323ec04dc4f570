import Glibc
import System
import Testing

@testable import System

@Suite struct EstibaErrorTests {
    @Test func systemFailuresAreClassifiedByTheirErrno() {
        let missing = EstibaError.system(ENOENT, "open", path: "/nowhere")
        #expect(missing.code == .notFound)
        #expect(missing.message == "Cannot open /nowhere: No such file or directory.")
        #expect(
            missing.context == [
                "path": "/nowhere", "operation": "open", "errno": String(ENOENT), "reason": "No such file or directory",
            ])
        #expect(missing.errorNumber == ENOENT && missing.isNotFound && missing.reason == "No such file or directory")
        let refused = EstibaError.system(EXDEV, "open", path: "/r/a", detail: "it leads outside /r")
        #expect(refused.message == "Cannot open /r/a: it leads outside /r." && refused.isEscape)
        #expect(refused.retold(path: "/r/a/b").message == "Cannot open /r/a/b: it leads outside /r.")
        #expect(EstibaError.code(errno: EEXIST) == .alreadyExists)
        #expect(EstibaError.code(errno: ELOOP) == .badInput)
        #expect(EstibaError.code(errno: EXDEV) == .badInput)
        #expect(EstibaError.code(errno: EBUSY) == .unavailable)
        #expect(EstibaError.code(errno: ENOSPC) == .io)
    }

    @Test func callersAddContextOrRecodeWithoutLosingTheFailure() {
        let failed = EstibaError.system(ENOSPC, "write", path: "/s/tmp/x")
        let told = failed.adding(["container": "web", "path": "elsewhere"]).recoded(.launchFailed)
        #expect(told.code == .launchFailed && told.message == failed.message && told.errorNumber == ENOSPC)
        #expect(told.context["container"] == "web" && told.context["path"] == "/s/tmp/x" && told.reason == "No space left on device")
    }

    @Test func aCauseIsKeptAndCompared() {
        let root = EstibaError(.io, "Cannot write the layer: No space left on device.", context: ["path": "/s/tmp/x"])
        let outer = EstibaError(.io, "Cannot commit container c: the layer could not be written.", context: ["container": "c"], cause: root)
        #expect(outer.cause == root)
        #expect(outer.cause?.cause == nil)
        #expect(outer != EstibaError(.io, outer.message, context: outer.context))
        #expect(outer == EstibaError(.io, outer.message, context: outer.context, cause: root))
        #expect(outer.description == outer.message)
    }

    @Test func everyCodeHasADistinctKind() {
        let kinds = EstibaError.Code.allCases.map(\.rawValue)
        #expect(Set(kinds).count == kinds.count)
        #expect(EstibaError.cancelled.code == .cancelled)
    }
}
