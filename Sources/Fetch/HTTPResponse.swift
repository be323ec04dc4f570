/// The final response of a request (after redirects): status, headers and the URL it came from.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var url: String
    /// The body of a response whose status is not 2xx (its first 64 KiB); a 2xx body goes to the caller.
    public var errorBody: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], url: String, errorBody: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.url = url
        self.errorBody = errorBody
    }

    public var succeeded: Bool { (200..<300).contains(status) }

    /// The last value of the header `name` (names compare without case).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.last { $0.name.lowercased() == n }?.value
    }

    /// Every value of the header `name`.
    public func headers(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.name.lowercased() == n }.map(\.value)
    }
}

/// Why a request got no response.
public enum TransportFailure: String, Sendable {
    case resolve, connect, tls, timeout, other
}
