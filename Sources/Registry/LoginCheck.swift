import EstibaJSON
import Fetch
import ImageStore
import System

/// Checks credentials against a registry as `docker login` does before keeping them: `GET /v2/` with Basic
/// authentication, and when the registry answers with a Bearer challenge, a token from its realm for the
/// account (no repository scope).
public enum LoginCheck {
    /// Returns when the registry `domain` (as references name it: `docker.io`, `host:5000`) accepts
    /// `credentials`; a refusal is one sentence that says so.
    public static func verify(domain: String, credentials: RegistryCredentials, certificateDirectories: [String]? = nil) async throws(EstibaError) {
        let client = RegistryClient(
            reference: RemoteReference(domain: domain, repository: ""), credentials: CredentialLookup(credentials),
            certificateDirectories: certificateDirectories ?? RegistryEndpoint.certificateDirectories(home: Environment.value("HOME")))
        let base = try await client.baseURL()
        let basic = credentials.basicAuthorization
        let probe = HTTPRequest(url: base + "/v2/", headers: [("Authorization", basic)], caFile: client.endpoint.caFile)
        let response = try await client.perform(probe, receiver: MemoryReceiver(limit: 1 << 20, what: "The registry's answer"))
        if response.succeeded { return }
        guard response.status == 401 else { throw client.failure(response) }
        guard let challenge = AuthChallenge.parse(response.headers("WWW-Authenticate")).first, challenge.scheme == "bearer" else {
            throw .loginRefused(domain)
        }
        guard let realm = challenge.parameters["realm"], realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw .registryBadResponse(client.host, "an authentication challenge without a usable realm")
        }
        var query = ["account=" + RegistryClient.percentEncoded(credentials.username)]
        if let service = challenge.parameters["service"] { query.append("service=" + RegistryClient.percentEncoded(service)) }
        var request = HTTPRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"), headers: [("Authorization", basic)])
        if realm.hasPrefix("https://" + client.host + "/") { request.caFile = client.endpoint.caFile }
        let body = MemoryReceiver(limit: 1 << 20, what: "The token from \(realm)")
        let answer = try await client.perform(request, receiver: body)
        if answer.status == 401 || answer.status == 403 { throw .loginRefused(domain) }
        guard answer.succeeded else { throw client.failure(answer) }
        guard let doc = try? JSONValue.parse(body.bytes), (doc["token"]?.stringValue ?? doc["access_token"]?.stringValue).map({ !$0.isEmpty }) == true else {
            throw .registryBadResponse(client.host, "a token answer without a token")
        }
    }
}

extension EstibaError {
    /// The registry refused the user name or password of a login.
    static func loginRefused(_ domain: String) -> EstibaError {
        EstibaError(
            .failedPrecondition, "Login to \(domain) failed: the registry refused the user name or password; check them and try again.",
            context: ["registry": domain])
    }
}
