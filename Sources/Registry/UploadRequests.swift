import Fetch
import ImageStore
import System

/// The requests of a push: HEAD, POST, PATCH and PUT with the authorization the registry asks for.
extension RegistryClient {
    /// Sends `method` to `target` — a path under `/v2/`, or a URL the registry gave in a `Location` header —
    /// with `body`, asking for a token again once after a 401. Any status is returned for the caller to judge.
    /// `idempotent` requests (HEAD, a manifest PUT) are sent again after a broken transfer or a 408, 429 or 5xx.
    func send(
        _ method: String, _ target: String, headers: [(name: String, value: String)] = [], body: RequestBody? = nil,
        idempotent: Bool = false, cancellation: PullCancellation? = nil, onSent: (@Sendable (Int64) -> Void)? = nil
    ) async throws(EstibaError) -> HTTPResponse {
        let base = try await baseURL()
        let url = target.hasPrefix("http://") || target.hasPrefix("https://") ? target : base + (target.hasPrefix("/") ? target : "/v2/" + target)
        var reauthorized = false
        var attempt = 1
        while true {
            var request = HTTPRequest(method: method, url: url, headers: headers, followRedirects: method == "HEAD", caFile: endpoint.caFile)
            request.body = body
            request.onSent = onSent
            // No `Expect: 100-continue` round trip before a body.
            if body != nil { request.headers.append(("Expect", "")) }
            if let cancellation { request.shouldStop = { cancellation.isSet } }
            if let authorization = try await authorization() { request.headers.append(("Authorization", authorization)) }
            let response: HTTPResponse
            do throws(EstibaError) {
                response = try await perform(request, receiver: MemoryReceiver(limit: 1 << 20, what: "The registry's answer"))
            } catch {
                let broken = error.context["transport"].map { $0 != TransportFailure.tls.rawValue } ?? false
                guard idempotent, broken, attempt < Self.attempts, cancellation?.isSet != true else { throw error }
                try await pause(&attempt)
                continue
            }
            if response.status == 401, !reauthorized {
                reauthorized = true
                forgetToken(challengedBy: response)
                continue
            }
            if idempotent, [408, 429].contains(response.status) || (500...599).contains(response.status), attempt < Self.attempts,
                cancellation?.isSet != true
            {
                try await pause(&attempt)
                continue
            }
            return response
        }
    }

    /// The `Location` an upload answer gives.
    static func location(_ response: HTTPResponse) -> String? {
        guard let location = response.header("Location"), !location.isEmpty else { return nil }
        return location
    }
}
