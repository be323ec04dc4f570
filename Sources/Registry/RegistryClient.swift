import EstibaJSON
import Fetch
import ImageStore
import Synchronization
import System

/// The registry API of one repository: requests carry the authorization the registry asks for (Basic, or a
/// Bearer token fetched from its realm for `repository:NAME:pull` — `pull,push` for a push, with `pull` on the
/// repositories it mounts blobs from — cached per scope and fetched again on a 401).
public final class RegistryClient: Sendable {
    /// The registry as the user named it (`docker.io`), for messages and credentials.
    public let domain: String
    public let repository: String
    let endpoint: RegistryEndpoint
    let credentials: CredentialLookup
    /// The actions asked for on `repository` (`pull`, or `pull,push`).
    let actions: String
    private let state = Mutex<State>(State())

    private struct State {
        /// `scheme://host`, once the registry answered.
        var base: String?
        /// What the registry asks for; nil when it asks for nothing.
        var challenge: AuthChallenge?
        /// Bearer tokens by scope, with when they stop being used.
        var tokens: [String: (token: String, until: ContinuousClock.Instant)] = [:]
        /// Other repositories whose pull access is asked for too (a push's mount sources).
        var mountSources: [String] = []
    }

    /// `certificateDirectories`: the `certs.d` directories to find the host's own certificate authority in;
    /// `hosts`: the registries config (the host's TLS and plain HTTP settings).
    public init(
        reference: RemoteReference, credentials: CredentialLookup, certificateDirectories: [String], actions: String = "pull",
        hosts: HostsConfiguration = HostsConfiguration()
    ) {
        domain = reference.domain
        repository = reference.repository
        endpoint = RegistryEndpoint(
            host: reference.registryHost, certificateDirectories: certificateDirectories, settings: hosts.settings(for: reference.domain))
        self.credentials = credentials
        self.actions = actions
    }

    var host: String { endpoint.host }
    /// The scopes a token is asked for: this repository's actions, then pull on the mount sources.
    var scopes: [String] {
        ["repository:\(repository):\(actions)"] + state.withLock { $0.mountSources }.map { "repository:\($0):pull" }
    }
    /// The key of the token for `scopes`.
    var scope: String { scopes.joined(separator: " ") }

    /// Asks for pull access to `repositories` too (in the next token), to mount blobs from them.
    func addMountSources(_ repositories: [String]) {
        state.withLock { s in
            for r in repositories where r != repository && !s.mountSources.contains(r) { s.mountSources.append(r) }
        }
    }

    /// How many times a request is sent before a server error or a broken transfer is final.
    static let attempts = 4

    /// GETs `path` (under `/v2/`), passing a 2xx body to `receiver`. Returns the response when it is 2xx or 404;
    /// any other status is a failure worded for the user. A broken transfer or a 408, 429 or 5xx answer is tried
    /// again after 0.5, 1 and 2 s (a broken transfer from where it stopped, with `Range`, when the receiver keeps
    /// what arrived); a set `cancellation` stops the transfer within about a second.
    func get(
        _ path: String, accept: [String] = [], cancellation: PullCancellation? = nil, receiver: some ResponseReceiver
    ) async throws(EstibaError) -> HTTPResponse {
        let base = try await baseURL()
        var headers: [(name: String, value: String)] = []
        if !accept.isEmpty { headers.append(("Accept", accept.joined(separator: ", "))) }
        var from: Int64?
        var reauthorized = false
        var attempt = 1
        while true {
            var request = HTTPRequest(url: base + "/v2/" + path, headers: headers, caFile: endpoint.caFile)
            if let from { request.headers.append(("Range", "bytes=\(from)-")) }
            if let cancellation { request.shouldStop = { cancellation.isSet } }
            if let authorization = try await authorization() { request.headers.append(("Authorization", authorization)) }
            let response: HTTPResponse
            do throws(EstibaError) {
                response = try await perform(request, receiver: receiver)
            } catch {
                let broken = error.context["transport"].map { $0 != TransportFailure.tls.rawValue } ?? false
                guard broken, attempt < Self.attempts, cancellation?.isSet != true else { throw error }
                try await pause(&attempt)
                from = try receiver.retry()
                continue
            }
            if response.status == 401, !reauthorized {
                // A token that expired or lacks the scope: ask again with the challenge this response carries.
                reauthorized = true
                forgetToken(challengedBy: response)
                continue
            }
            if response.succeeded || response.status == 404 { return response }
            if [408, 429].contains(response.status) || (500...599).contains(response.status), attempt < Self.attempts,
                cancellation?.isSet != true
            {
                try await pause(&attempt)
                from = try receiver.retry()
                continue
            }
            throw failure(response)
        }
    }

    /// After a 401: the token for the scopes is dropped, and the response's challenge kept for the next one.
    func forgetToken(challengedBy response: HTTPResponse) {
        let challenge = AuthChallenge.parse(response.headers("WWW-Authenticate")).first
        let scope = self.scope
        state.withLock { s in
            s.challenge = challenge ?? s.challenge
            s.tokens[scope] = nil
        }
    }

    /// Waits before the next attempt: 0.5 s, then twice as long each time.
    func pause(_ attempt: inout Int) async throws(EstibaError) {
        do { try await Task.sleep(for: .milliseconds(250 << attempt)) } catch { throw EstibaError.cancelled }
        attempt += 1
    }

    /// Sends `request` on a thread of its own; a request that gets no response fails with the registry named.
    func perform(_ request: HTTPRequest, receiver: some ResponseReceiver) async throws(EstibaError) -> HTTPResponse {
        let host = self.host
        var verified = request
        if endpoint.skipVerify, request.url.hasPrefix("https://" + host + "/") { verified.verifyPeer = false }
        let request = verified
        return try await runOnThread { () throws(EstibaError) -> HTTPResponse in
            do throws(EstibaError) {
                return try Fetch.perform(
                    request, onResponse: { status, headers throws(EstibaError) in try receiver.begin(status: status, headers: headers) },
                    body: { bytes throws(EstibaError) in try receiver.receive(bytes) })
            } catch {
                throw Self.transportFailure(error, host: host)
            }
        }
    }

    /// The registry's wording of a request that got no response; `context["transport"]` stays.
    static func transportFailure(_ error: EstibaError, host: String) -> EstibaError {
        guard let transport = error.context["transport"] else { return error }
        let reason = error.context["reason"] ?? error.message
        var failure: EstibaError = transport == TransportFailure.tls.rawValue ? .registryTLS(host, reason) : .registryUnreachable(host, reason)
        failure.context["transport"] = transport
        return failure
    }

    /// `scheme://host` of the registry, found by `GET /v2/` (which also tells what authorization it wants).
    func baseURL() async throws(EstibaError) -> String {
        if let base = state.withLock({ $0.base }) { return base }
        let schemes = endpoint.schemes
        var tlsFailure: EstibaError?
        for (i, scheme) in schemes.enumerated() {
            let base = scheme + "://" + host
            let response: HTTPResponse
            // A probe with another scheme left to try gives up soon (a plain HTTP server may never answer TLS).
            var probe = HTTPRequest(url: base + "/v2/", caFile: endpoint.caFile, timeoutSeconds: i + 1 < schemes.count ? 10 : nil)
            // With another scheme to fall back on, the probe only tells whether the host speaks TLS (it sends no
            // credentials); every later request checks the certificate. Loading no certificate authorities keeps
            // a plain HTTP registry's probe cheap.
            if i + 1 < schemes.count { probe.verifyPeer = false }
            do throws(EstibaError) {
                response = try await perform(probe, receiver: MemoryReceiver(limit: 1 << 20, what: "The registry's answer"))
            } catch {
                if error.context["transport"] == TransportFailure.tls.rawValue { tlsFailure = error }
                if i + 1 < schemes.count { continue }
                throw tlsFailure ?? error
            }
            // An HTTPS registry answers plain HTTP with 400: its TLS failure is the one to tell.
            if response.status == 400, let tlsFailure { throw tlsFailure }
            if response.status >= 500 { throw failure(response) }
            let challenge = response.status == 401 ? AuthChallenge.parse(response.headers("WWW-Authenticate")).first : nil
            state.withLock { s in
                s.base = base
                s.challenge = challenge
            }
            return base
        }
        throw .registryUnreachable(host, "no way to connect")
    }

    /// The `Authorization` value for the next request, fetching a token when the registry wants one.
    func authorization() async throws(EstibaError) -> String? {
        let scope = self.scope
        let (challenge, cached) = state.withLock { s in (s.challenge, s.tokens[scope]) }
        guard let challenge else { return nil }
        switch challenge.scheme {
        case "basic":
            guard let credentials = try await credentials.get() else { throw .registryDenied(host, repository: repository) }
            return credentials.basicAuthorization
        case "bearer":
            if let cached, cached.until > .now { return "Bearer " + cached.token }
            let token = try await fetchToken(challenge)
            state.withLock { s in s.tokens[scope] = token }
            return "Bearer " + token.token
        default:
            throw EstibaError(
                .failedPrecondition, "The registry \(host) asks for \(challenge.scheme) authentication, which Estiba does not support.",
                context: ["registry": host])
        }
    }

    /// A token from the challenge's realm for this repository's pull scope (with the credentials, if any).
    func fetchToken(_ challenge: AuthChallenge) async throws(EstibaError) -> (token: String, until: ContinuousClock.Instant) {
        guard let realm = challenge.parameters["realm"], realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw .registryBadResponse(host, "an authentication challenge without a usable realm")
        }
        var query: [String] = []
        if let service = challenge.parameters["service"] { query.append("service=" + Self.percentEncoded(service)) }
        for scope in scopes { query.append("scope=" + Self.percentEncoded(scope)) }
        var request = HTTPRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
        // A realm on the registry's own host trusts what the registry does.
        if realm.hasPrefix("https://" + host + "/") { request.caFile = endpoint.caFile }
        if let credentials = try await credentials.get() { request.headers.append(("Authorization", credentials.basicAuthorization)) }
        let body = MemoryReceiver(limit: 1 << 20, what: "The token from \(realm)")
        let response = try await perform(request, receiver: body)
        if response.status == 401 || response.status == 403 { throw .registryDenied(domain, repository: repository) }
        guard response.succeeded else { throw failure(response) }
        guard let doc = try? JSONValue.parse(body.bytes), let token = doc["token"]?.stringValue ?? doc["access_token"]?.stringValue,
            !token.isEmpty
        else { throw .registryBadResponse(host, "a token answer without a token") }
        // Used for at most the lifetime it states (60 s when it states none), minus a margin.
        let lifetime = max(10, min(doc["expires_in"]?.intValue ?? 60, 86_400))
        return (token, .now + .seconds(lifetime - 5))
    }

    /// The failure a status other than 2xx or 404 means.
    func failure(_ response: HTTPResponse) -> EstibaError {
        let detail = Self.errorMessage(response.errorBody)
        switch response.status {
        case 401, 403: return .registryDenied(domain, repository: repository)
        case 429: return .registryUnreachable(host, "it answered 429 (too many requests); wait and try again")
        case 500...599: return .registryUnreachable(host, "it answered \(response.status)" + (detail.map { " (\($0))" } ?? ""))
        default: return .registryBadResponse(host, "the unexpected status \(response.status)" + (detail.map { " (\($0))" } ?? ""))
        }
    }

    /// The messages of a registry error body `{"errors":[{"code","message"}]}`.
    static func errorMessage(_ body: [UInt8]) -> String? {
        guard let doc = try? JSONValue.parse(body), let errors = doc["errors"]?.arrayValue, !errors.isEmpty else { return nil }
        let parts = errors.compactMap { e -> String? in
            let code = e["code"]?.stringValue
            let message = e["message"]?.stringValue
            switch (code, message) {
            case (let c?, let m?): return "\(c): \(m)"
            case (let c?, nil): return c
            case (nil, let m?): return m
            default: return nil
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters.
    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
