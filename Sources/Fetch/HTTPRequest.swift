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
    /// HTTPS without checking the server's certificate (a registry configured `skipVerify`).
    public var skipVerify = false
    /// A transfer making no progress (under 1 byte/s) for this long is abandoned.
    public var stallSeconds: Int
    /// A transfer taking longer than this in all is abandoned; nil: no limit.
    public var timeoutSeconds: Int?
    /// Asked about once a second: true stops the transfer, which then fails `.cancelled`.
    public var shouldStop: (@Sendable () -> Bool)?

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
