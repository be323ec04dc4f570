import Glibc
import System
import Testing

@Suite struct SocketPairTests {
    @Test func bytesGoBothWaysAndShuttingOneDirectionEndsOnlyThatOne() throws {
        let pair = try SocketPair()
        try pair.first.send(Array("to the second".utf8))
        #expect(try pair.second.read(upTo: 64) == Array("to the second".utf8))
        try pair.second.send(Array("and back".utf8))
        #expect(try pair.first.read(upTo: 64) == Array("and back".utf8))

        try pair.first.shutdownSending()
        #expect(try pair.second.readAll() == [])
        // The other direction still works, and the shut end is still open.
        try pair.second.send([1, 2, 3])
        #expect(try pair.first.read(upTo: 8) == [1, 2, 3])
        #expect(pair.first.isOpen)
    }

    @Test func sendingToAGonePeerFailsWithoutASignal() throws {
        let pair = try SocketPair()
        pair.second.close()
        // SIGPIPE's default action would end this test process; the send must fail instead.
        let error = #expect(throws: EstibaError.self) { try pair.first.send(Array(repeating: 7, count: 1 << 16)) }
        #expect(error?.errorNumber == EPIPE)
        #expect(error?.message.hasPrefix("Cannot send on socket: ") == true)
    }

    @Test func bothEndsAreCloseOnExec() throws {
        let pair = try SocketPair()
        for end in [pair.first, pair.second] {
            #expect(fcntl(end.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        }
    }
}
