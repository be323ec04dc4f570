import EstibaJSON
import ImageStore
import System

/// The tags of a repository (`GET /v2/NAME/tags/list`, following `Link: <…>; rel="next"` pages).
extension RegistryClient {
    func tags() async throws(EstibaError) -> [String] {
        var tags: [String] = []
        var path = "\(repository)/tags/list?n=1000"
        for _ in 0..<1000 {
            let body = MemoryReceiver(limit: 16 << 20, what: "The tag list of \(repository)")
            let response = try await get(path, receiver: body)
            guard response.status != 404 else { throw .registryUnknown(repository, host: domain, repository: repository) }
            guard let doc = try? JSONValue.parse(body.bytes) else {
                throw .registryBadResponse(host, "a tag list of \(repository) that is not JSON")
            }
            tags += (doc["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard let next = response.header("Link").flatMap(Self.nextPage) else { return tags }
            path = next
        }
        throw .registryBadResponse(host, "a tag list of \(repository) with more than 1000 pages")
    }

    /// The path under `/v2/` of `Link: </v2/NAME/tags/list?last=x&n=100>; rel="next"`.
    static func nextPage(_ link: String) -> String? {
        guard link.contains("rel=\"next\""), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close
        else { return nil }
        var target = link[link.index(after: open)..<close]
        for scheme in ["https://", "http://"] where target.hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            target = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        }
        guard target.hasPrefix("/v2/") else { return nil }
        return String(target.dropFirst(4))
    }
}

extension Puller {
    /// The tags of the repository, as the registry lists them.
    public func tags() async throws(EstibaError) -> [String] { try await client.tags() }

    /// The same pull for another tag of the repository, sharing this one's connection and credentials.
    public func with(tag: String) -> Puller {
        var other = self
        other.reference = RemoteReference(domain: reference.domain, repository: reference.repository, tag: tag)
        return other
    }
}
