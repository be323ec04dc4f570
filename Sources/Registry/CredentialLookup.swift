import Synchronization
import System

/// Credentials found only when a registry first asks for them (a credential helper is a program: an anonymous
/// pull runs none), then kept for the rest of the operation.
public final class CredentialLookup: Sendable {
    private let find: @Sendable () throws(EstibaError) -> RegistryCredentials?
    private let found = Mutex<Result<RegistryCredentials?, EstibaError>?>(nil)

    /// `find` runs on a thread of its own, at most once.
    public init(_ find: @escaping @Sendable () throws(EstibaError) -> RegistryCredentials?) { self.find = find }

    /// Credentials known up front (or none).
    public convenience init(_ credentials: RegistryCredentials?) { self.init { () throws(EstibaError) in credentials } }

    func get() async throws(EstibaError) -> RegistryCredentials? {
        if let known = found.withLock({ $0 }) { return try known.get() }
        let find = self.find
        let result = await runOnThread { () -> Result<RegistryCredentials?, EstibaError> in
            do throws(EstibaError) { return .success(try find()) } catch { return .failure(error) }
        }
        found.withLock { $0 = result }
        return try result.get()
    }
}
