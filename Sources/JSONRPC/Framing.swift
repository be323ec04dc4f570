import EstibaJSON

/// How messages are delimited on a connection; detected from its first bytes, replies use the same.
public enum FramingMode: String, Sendable {
    /// `Content-Length: N\r\n\r\n` + body (LSP base protocol; what editors speak).
    case contentLength = "content-length"
    /// One JSON text per line (what scripts and socat speak).
    case newline

    /// Wraps an encoded message for the wire.
    public func frame(_ body: [UInt8]) -> [UInt8] {
        switch self {
        case .newline:
            var out = body
            out.append(UInt8(ascii: "\n"))
            return out
        case .contentLength:
            var out = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
            out.reserveCapacity(out.count + body.count)
            out.append(contentsOf: body)
            return out
        }
    }
}

/// A framing problem, answered to the client as `error`: a decoded outcome, not a thrown failure. `fatal` means
/// the stream can no longer be split into messages.
public struct FrameFault: Sendable, Equatable {
    public var error: RPCError
    public var fatal: Bool
}

/// Splits an incoming byte stream into message bodies, enforcing the size limit.
public struct FrameDecoder: Sendable {
    public private(set) var mode: FramingMode?
    public let maxMessageSize: Int
    public static let maxHeaderSize = 8192

    private var buffer: [UInt8] = []
    private var start = 0
    /// Newline mode: where to continue looking for '\n'.
    private var scanFrom = 0
    /// Newline mode: skipping the rest of an oversized line.
    private var discarding = false
    /// Content-Length mode: the body length of the message being read.
    private var bodyLength: Int?
    private var failed = false

    public init(maxMessageSize: Int = 64 << 20, mode: FramingMode? = nil) {
        self.maxMessageSize = maxMessageSize
        self.mode = mode
    }

    public enum Event: Sendable {
        case message([UInt8])
        case error(FrameFault)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if failed { return }
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            scanFrom -= start
            start = 0
        } else if start > 65536, start > buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scanFrom -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// True while a partial message is buffered (EOF now would truncate it).
    public var hasPartialMessage: Bool {
        guard !failed else { return false }
        if bodyLength != nil { return true }
        return buffer[start...].contains { !Self.isJSONSpace($0) }
    }

    /// The next complete message or error, or nil when more bytes are needed.
    public mutating func next() -> Event? {
        if failed { return nil }
        if mode == nil {
            guard let first = buffer[start...].firstIndex(where: { !Self.isJSONSpace($0) }) else { return nil }
            let b = buffer[first]
            let isLetter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            mode = isLetter ? .contentLength : .newline
        }
        switch mode {
        case .newline: return nextLine()
        default: return nextContentLength()
        }
    }

    static func isJSONSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private mutating func nextLine() -> Event? {
        while true {
            let from = max(scanFrom, start)
            guard let nl = buffer[from...].firstIndex(of: UInt8(ascii: "\n")) else {
                scanFrom = buffer.count
                if !discarding, buffer.count - start > maxMessageSize {
                    discarding = true
                    start = buffer.count
                    return .error(FrameFault(error: tooLarge(nil), fatal: false))
                }
                if discarding { start = buffer.count }
                return nil
            }
            let line = buffer[start..<nl]
            start = nl + 1
            scanFrom = start
            if discarding {
                discarding = false
                continue
            }
            if line.count > maxMessageSize {
                return .error(FrameFault(error: tooLarge(line.count), fatal: false))
            }
            if line.allSatisfy(Self.isJSONSpace) { continue }
            return .message(Array(line))
        }
    }

    private mutating func nextContentLength() -> Event? {
        while true {
            if let n = bodyLength {
                guard buffer.count - start >= n else { return nil }
                let body = Array(buffer[start..<start + n])
                start += n
                bodyLength = nil
                return .message(body)
            }
            // Skip blank space between messages.
            while start < buffer.count, Self.isJSONSpace(buffer[start]) { start += 1 }
            guard let end = headerEnd() else {
                if buffer.count - start > Self.maxHeaderSize {
                    return fail("the message header is longer than \(Self.maxHeaderSize) bytes")
                }
                return nil
            }
            let headerBytes = buffer[start..<end.headerEnd]
            start = end.bodyStart
            var length: Int?
            // Split on bytes: in Swift "\r\n" is one Character, so String splitting would not see it.
            for rawLine in headerBytes.split(whereSeparator: { $0 == 0x0D || $0 == 0x0A }) {
                let line = Substring(String(decoding: rawLine, as: UTF8.self))
                guard let colon = line.firstIndex(of: ":") else {
                    return fail("malformed header line \"\(line.prefix(80))\"")
                }
                let name = line[..<colon].trimmingSpaces.lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces
                if name == "content-length" {
                    guard let n = Int(value), n >= 0 else { return fail("Content-Length \"\(value.prefix(40))\" is not a number") }
                    length = n
                }
            }
            guard let n = length else { return fail("the message header has no Content-Length") }
            if n > maxMessageSize {
                failed = true
                return .error(FrameFault(error: tooLarge(n), fatal: true))
            }
            if n == 0 { continue }
            bodyLength = n
            buffer.reserveCapacity(start + n)
        }
    }

    /// Finds the blank line ending a header block (CRLF CRLF, or LF LF from lenient clients).
    private func headerEnd() -> (headerEnd: Int, bodyStart: Int)? {
        var i = start
        while i < buffer.count {
            if buffer[i] == UInt8(ascii: "\n") {
                if i + 1 < buffer.count, buffer[i + 1] == UInt8(ascii: "\n") { return (i, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == UInt8(ascii: "\r"), buffer[i + 2] == UInt8(ascii: "\n") {
                    return (i, i + 3)
                }
            }
            i += 1
            if i - start > Self.maxHeaderSize + 4 { return nil }
        }
        return nil
    }

    private mutating func fail(_ detail: String) -> Event {
        failed = true
        return .error(
            FrameFault(
                error: RPCError(
                    code: RPCErrorCode.parseError,
                    message: "Parse error: \(detail); the connection is closed because message boundaries are lost."),
                fatal: true))
    }

    private func tooLarge(_ size: Int?) -> RPCError {
        let limit = maxMessageSize
        var data: JSONObject = ["limit": .int(Int64(limit))]
        if let size { data["size"] = .int(Int64(size)) }
        return RPCError(
            code: RPCErrorCode.messageTooLarge,
            message: "Message too large: the limit is \(limit) bytes. Send a file path instead of its text.",
            data: .object(data))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
