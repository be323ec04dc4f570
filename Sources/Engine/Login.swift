import ImageStore
import Registry
import System

/// What a login did.
public struct LoginResult: Sendable, Equatable {
    /// The server as credential stores name it (`https://index.docker.io/v1/`, `host:5000`).
    public var server: String
    /// Where the credentials went: the Docker config file, or the credential helper's program.
    public var storedIn: String
}

extension Engine {
    /// Logs in to the registry `server` (Docker Hub when nil): the credentials are checked against the registry
    /// (`GET /v2/`, and its token realm when it wants tokens) and, only when it accepts them, kept where Docker
    /// keeps them (the Docker config's credential helper, else its `auths`, mode 0600).
    public func login(server: String?, username: String, password: String) async throws(EstibaError) -> LoginResult {
        guard !username.isEmpty, !password.isEmpty else {
            throw EstibaError(.invalidArgument, "A login needs a user name and a password; give -u USER and -p PASSWORD (or --password-stdin).")
        }
        let (key, domain) = CredentialSources.loginServer(server)
        let credentials = RegistryCredentials(username: username, password: password)
        try await LoginCheck.verify(domain: domain, credentials: credentials)
        let storedIn = try await runOnThread { () throws(EstibaError) -> String in
            try CredentialSources.process.store(credentials, key: key, domain: domain)
        }
        return LoginResult(server: key, storedIn: storedIn)
    }

    /// Logs in again with the credentials kept for `server`, if any (Docker's `login` without a user name); nil
    /// when none are kept.
    public func loginWithStoredCredentials(server: String?) async throws(EstibaError) -> LoginResult? {
        let (key, domain) = CredentialSources.loginServer(server)
        let stored = try await runOnThread { () throws(EstibaError) -> RegistryCredentials? in
            try CredentialSources.process.credentials(domain: domain, repository: "")
        }
        guard let stored else { return nil }
        try await LoginCheck.verify(domain: domain, credentials: stored)
        return LoginResult(server: key, storedIn: "")
    }

    /// The server as credential stores name it (`docker.io` is `https://index.docker.io/v1/`).
    public nonisolated func loginServer(_ server: String?) -> String { CredentialSources.loginServer(server).key }

    /// Removes the credentials kept for `server` (Docker Hub when nil); returns the server as credential stores
    /// name it, and whether any were kept.
    public func logout(server: String?) async throws(EstibaError) -> (server: String, removed: Bool) {
        let (key, domain) = CredentialSources.loginServer(server)
        let removed = try await runOnThread { () throws(EstibaError) -> Bool in
            try CredentialSources.process.erase(key: key, domain: domain)
        }
        return (key, removed)
    }
}
