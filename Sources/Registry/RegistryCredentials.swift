import System
/// A user name and password (or token) for a registry.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The `Authorization` value of Basic authentication.
    var basicAuthorization: String { "Basic " + Base64.encode(username + ":" + password) }
}
