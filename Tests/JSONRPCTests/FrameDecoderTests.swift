import EstibaJSON
import Testing

@testable import JSONRPC

@Suite struct FrameDecoderTests {
    func feed(_ d: inout FrameDecoder, _ s: String) -> [FrameDecoder.Event] {
        let bytes = Array(s.utf8)
        bytes.withUnsafeBytes { d.append($0) }
        var out: [FrameDecoder.Event] = []
        while let e = d.next() { out.append(e) }
        return out
    }

    func messages(_ events: [FrameDecoder.Event]) -> [String] {
        events.compactMap { if case .message(let m) = $0 { return String(decoding: m, as: UTF8.self) }; return nil }
    }

    @Test func newlineFramingAcrossChunks() {
        var d = FrameDecoder()
        #expect(messages(feed(&d, "{\"a\":")).isEmpty)
        #expect(d.mode == .newline)
        #expect(messages(feed(&d, "1}\r\n\n  \n[2]\n{\"b\"")) == ["{\"a\":1}\r", "[2]"])
        #expect(d.hasPartialMessage)
        #expect(messages(feed(&d, ":3}\n")) == ["{\"b\":3}"])
        #expect(!d.hasPartialMessage)
    }

    @Test func contentLengthFramingAcrossChunks() {
        var d = FrameDecoder()
        #expect(messages(feed(&d, "Content-Length: 7\r\nContent-Type: application/json\r")).isEmpty)
        #expect(d.mode == .contentLength)
        #expect(messages(feed(&d, "\n\r\n{\"a\":1}Content-Length:2\r\n\r\n[]")) == ["{\"a\":1}", "[]"])
    }

    @Test func oversizedLineIsSkippedAndStreamGoesOn() {
        var d = FrameDecoder(maxMessageSize: 16)
        let events = feed(&d, "{\"x\":\"" + String(repeating: "a", count: 40) + "\"}\n{\"ok\":1}\n")
        guard case .error(let e) = events.first else { Issue.record("no error"); return }
        #expect(e.error.code == RPCErrorCode.messageTooLarge)
        #expect(!e.fatal)
        #expect(messages(events) == ["{\"ok\":1}"])
    }

    @Test func absurdContentLengthIsFatal() {
        var d = FrameDecoder(maxMessageSize: 1 << 20)
        let events = feed(&d, "Content-Length: 99999999999999\r\n\r\n{}")
        guard case .error(let e) = events.first else { Issue.record("no error"); return }
        #expect(e.fatal)
        #expect(e.error.code == RPCErrorCode.messageTooLarge)
        #expect(feed(&d, "Content-Length: 2\r\n\r\n{}").isEmpty)
    }

    @Test func malformedHeadersAreFatal() {
        for bad in ["Content-Length: abc\r\n\r\n", "X-Other: 1\r\n\r\n{}", "Garbage without colon\r\n\r\n"] {
            var d = FrameDecoder()
            let events = feed(&d, bad)
            guard case .error(let e) = events.first else { Issue.record("no error for \(bad)"); continue }
            #expect(e.fatal)
            #expect(e.error.code == RPCErrorCode.parseError)
        }
    }

    @Test func endlessHeaderIsFatal() {
        var d = FrameDecoder()
        let events = feed(&d, "Content-Length: 1" + String(repeating: " ", count: 10000))
        guard case .error(let e) = events.first else { Issue.record("no error"); return }
        #expect(e.fatal)
    }

    @Test func replyFramingMatchesMode() {
        #expect(String(decoding: FramingMode.newline.frame(Array("{}".utf8)), as: UTF8.self) == "{}\n")
        #expect(
            String(decoding: FramingMode.contentLength.frame(Array("{}".utf8)), as: UTF8.self)
                == "Content-Length: 2\r\n\r\n{}")
    }
}

@Suite struct MessageClassificationTests {
    func classify(_ s: String) throws -> IncomingMessage { RPCMessageDecoder.classify(try JSONValue.parse(s)) }

    @Test func requestsAndNotifications() throws {
        guard case .request(let r) = try classify(#"{"jsonrpc":"2.0","id":5,"method":"parse","params":{}}"#) else {
            Issue.record("not a request"); return
        }
        #expect(r.id == .number(5))
        guard case .request(let n) = try classify(#"{"jsonrpc":"2.0","method":"x"}"#) else {
            Issue.record("not a notification"); return
        }
        #expect(n.isNotification)
        guard case .request(let nullID) = try classify(#"{"jsonrpc":"2.0","id":null,"method":"x"}"#) else {
            Issue.record("null id"); return
        }
        #expect(nullID.id == .null)
    }

    @Test func invalidRequests() throws {
        let cases: [(String, RPCID?)] = [
            (#"1"#, nil),
            (#"{"jsonrpc":"1.0","id":1,"method":"x"}"#, .number(1)),
            (#"{"jsonrpc":"2.0","id":2,"method":1}"#, .number(2)),
            (#"{"jsonrpc":"2.0","id":{},"method":"x"}"#, nil),
            (#"{"jsonrpc":"2.0","id":"a","method":"x","params":3}"#, .string("a")),
            (#"{"jsonrpc":"2.0","id":3}"#, .number(3)),
        ]
        for (text, expectedID) in cases {
            guard case .invalid(let e, let id) = try classify(text) else { Issue.record("accepted \(text)"); continue }
            #expect(e.code == RPCErrorCode.invalidRequest, "\(text)")
            #expect(id == expectedID, "\(text)")
        }
    }

    @Test func responsesAreIgnored() throws {
        guard case .response = try classify(#"{"jsonrpc":"2.0","id":1,"result":null}"#) else {
            Issue.record("response not recognised"); return
        }
    }
}
