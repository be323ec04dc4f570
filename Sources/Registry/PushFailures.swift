import Fetch
import ImageStore
import System

/// How a push words its failures.
extension EstibaError {
    /// The registry refused to let the push write (401/403).
    static func pushDenied(_ host: String, repository: String) -> EstibaError {
        EstibaError(
            .failedPrecondition,
            "Pushing to \(repository) on \(host) was denied; run estiba login \(host) (or check that you may push to \(repository)).",
            context: ["registry": host, "repository": repository])
    }
}

extension RegistryClient {
    /// The failure of a push request that got `response` where it wanted another status.
    func pushFailure(_ response: HTTPResponse, _ what: String) -> EstibaError {
        if response.status == 401 || response.status == 403 { return .pushDenied(domain, repository: repository) }
        var failure = failure(response)
        failure.message = "\(what) failed: " + failure.message
        return failure
    }
}
