/// One HTTP request: method, URL and headers.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    /// Redirects are followed (an `Authorization` header is not sent on to another host); an `https` request is
    /// never redirected to plain `http`.
    public var followRedirects: Bool
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// A transfer making no progress (under 1 byte/s) for this long is abandoned.
    public var stallSeconds: Int
    /// A transfer taking longer than this in all is abandoned; nil: no limit.
    public var timeoutSeconds: Int?
    /// Asked about once a second: true stops the transfer, which then fails `.cancelled`.
    public var shouldStop: (@Sendable () -> Bool)?
    /// What the request sends (a `PUT`, `PATCH` or `POST`); nil: no body.
    public var body: RequestBody?
    /// Told how many bytes of the body have been sent so far, as they go.
    public var onSent: (@Sendable (Int64) -> Void)?
    /// False: an HTTPS server's certificate is not checked (and no certificate authorities are loaded) — only for
    /// requests that send nothing secret and whose answer decides nothing but the scheme to use.
    public var verifyPeer = true

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], followRedirects: Bool = true,
        caFile: String? = nil, stallSeconds: Int = 60, timeoutSeconds: Int? = nil, shouldStop: (@Sendable () -> Bool)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.followRedirects = followRedirects
        self.caFile = caFile
        self.stallSeconds = stallSeconds
        self.timeoutSeconds = timeoutSeconds
        self.shouldStop = shouldStop
    }
}

/// The body of a request.
public enum RequestBody: Sendable {
    case bytes([UInt8])
    /// `length` bytes of the file at `path` from `offset`.
    case file(path: String, offset: Int64, length: Int64)

    public var length: Int64 {
        switch self {
        case .bytes(let b): Int64(b.count)
        case .file(_, _, let length): length
        }
    }
}
