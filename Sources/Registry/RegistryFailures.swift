import ImageStore
import System

/// How the registry client words its failures: each says what to do next.
extension EstibaError {
    /// The registry refused the credentials (or asked for some): 401/403.
    static func registryDenied(_ host: String, repository: String) -> EstibaError {
        EstibaError(
            .failedPrecondition,
            "Access to \(repository) on \(host) was denied; run estiba login \(host) (or check that the repository exists and you may pull it).",
            context: ["registry": host, "repository": repository])
    }

    /// The repository or the tag is not in the registry.
    static func registryUnknown(_ what: String, host: String, repository: String) -> EstibaError {
        EstibaError(
            .notFound, "\(what) was not found on \(host); check the name and the tag (estiba pull \(host)/\(repository):TAG).",
            context: ["registry": host, "repository": repository])
    }

    /// The registry could not be reached, or answered with a server error.
    static func registryUnreachable(_ host: String, _ reason: String) -> EstibaError {
        EstibaError(
            .unavailable, "Cannot reach the registry \(host): \(reason). Check the name, the network, and that the registry is running.",
            context: ["registry": host])
    }

    /// TLS could not be set up with the registry.
    static func registryTLS(_ host: String, _ reason: String) -> EstibaError {
        EstibaError(
            .unavailable,
            "Cannot make a trusted TLS connection to the registry \(host): \(reason). Check the host name and its certificate; a registry's own certificate authority goes in /etc/docker/certs.d/\(host)/ca.crt, or give it as the host's ca (or set skipVerify) in the registries config.",
            context: ["registry": host])
    }

    /// The registry sent something the client cannot use.
    static func registryBadResponse(_ host: String, _ what: String) -> EstibaError {
        EstibaError(.badInput, "The registry \(host) sent \(what).", context: ["registry": host])
    }

    /// Content whose digest is not the one it was fetched by.
    static func digestMismatch(_ what: String, expected: Digest, actual: Digest, host: String) -> EstibaError {
        EstibaError(
            .badInput,
            "\(what) from \(host) has digest \(actual), not the expected \(expected); nothing was kept. Pull again, or get the image from a source you trust.",
            context: ["registry": host, "digest": expected.description])
    }
}
