import Glibc
import Testing

@testable import System

@Suite struct EstibaErrorTests {
    @Test func systemFailuresAreClassifiedByTheirErrno() {
        let missing = EstibaError(SystemError(code: ENOENT, operation: "open", path: "/nowhere"), context: ["image": "x"])
        #expect(missing.code == .notFound)
        #expect(missing.message == "Cannot open /nowhere: No such file or directory.")
        #expect(missing.context == ["image": "x", "path": "/nowhere", "operation": "open", "errno": String(ENOENT)])
        #expect(EstibaError.code(errno: EEXIST) == .alreadyExists)
        #expect(EstibaError.code(errno: ELOOP) == .badInput)
        #expect(EstibaError.code(errno: EXDEV) == .badInput)
        #expect(EstibaError.code(errno: EBUSY) == .unavailable)
        #expect(EstibaError.code(errno: ENOSPC) == .io)
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
