import Fetch
import ImageStore
import System

/// Blob uploads: asked about first (`HEAD`), mounted from another repository of the registry when one is known to
/// hold the blob, else sent — in one `PUT` when small, in `PATCH` chunks with `Content-Range` when large —
/// following the `Location` the registry gives after each step.
extension Pusher {
    /// Whether the repository holds the blob already.
    func blobExists(_ digest: Digest, cancellation: PullCancellation) async throws(EstibaError) -> Bool {
        let response = try await client.send("HEAD", "\(reference.repository)/blobs/\(digest)", idempotent: true, cancellation: cancellation)
        if response.succeeded { return true }
        if response.status == 404 { return false }
        throw client.pushFailure(response, "Asking for blob \(digest.short)")
    }

    /// What asking the registry to mount a blob came to.
    enum MountOutcome {
        /// Mounted from this repository.
        case mounted(String)
        /// Not mounted; the upload the registry started instead, if it did.
        case notMounted(uploadLocation: String?)
    }

    /// Mounts the blob from a repository of this registry known to hold it, if any does.
    func mount(_ digest: Digest, cancellation: PullCancellation) async throws(EstibaError) -> MountOutcome {
        let sources = (store.blobSources(digest)[client.host] ?? []).filter { $0 != reference.repository }
        var started: String?
        for from in sources.prefix(3) {
            let query = "mount=\(digest)&from=" + RegistryClient.percentEncoded(from)
            let response = try await client.send(
                "POST", "\(reference.repository)/blobs/uploads/?\(query)", body: .bytes([]), cancellation: cancellation)
            if response.status == 201 { return .mounted(from) }
            // 202: the registry could not mount it and began an upload; the last one begun is used.
            guard response.status == 202 else { continue }
            started = RegistryClient.location(response)
        }
        return .notMounted(uploadLocation: started)
    }

    /// Uploads `size` bytes from `source` as the blob `digest`, from an upload the registry began already when
    /// given one. A broken transfer or a server error starts the upload over, up to three times.
    func upload(
        _ source: RequestBody, digest: Digest, size: Int64, started: String?, cancellation: PullCancellation,
        progress: @escaping @Sendable (Int64) -> Void
    ) async throws(EstibaError) {
        var attempt = 1
        var begun = started
        while true {
            do throws(EstibaError) {
                try await uploadOnce(source, digest: digest, size: size, started: begun, cancellation: cancellation, progress: progress)
                return
            } catch {
                begun = nil
                let retryable = error.code == .unavailable && error.context["transport"] != TransportFailure.tls.rawValue
                guard retryable, attempt < 3, !cancellation.isSet else { throw error }
                try await client.pause(&attempt)
            }
        }
    }

    private func uploadOnce(
        _ source: RequestBody, digest: Digest, size: Int64, started: String?, cancellation: PullCancellation,
        progress: @escaping @Sendable (Int64) -> Void
    ) async throws(EstibaError) {
        let what = "Uploading blob \(digest.short)"
        var location: String
        if let started {
            location = started
        } else {
            let response = try await client.send("POST", "\(reference.repository)/blobs/uploads/", body: .bytes([]), cancellation: cancellation)
            guard response.status == 202, let given = RegistryClient.location(response) else { throw client.pushFailure(response, what) }
            location = given
        }
        let octets: [(name: String, value: String)] = [("Content-Type", "application/octet-stream")]
        if size <= options.chunkThreshold {
            let response = try await client.send(
                "PUT", RegistryClient.adding("digest=\(digest)", to: location), headers: octets, body: source, cancellation: cancellation,
                onSent: progress)
            guard response.status == 201 else { throw client.pushFailure(response, what) }
            return
        }
        var offset: Int64 = 0
        while offset < size {
            let count = min(options.chunkSize, size - offset)
            let from = offset
            let response = try await client.send(
                "PATCH", location, headers: octets + [("Content-Range", "\(offset)-\(offset + count - 1)")],
                body: source.slice(offset: offset, length: count), cancellation: cancellation, onSent: { progress(from + $0) })
            guard response.status == 202, let next = RegistryClient.location(response) else { throw client.pushFailure(response, what) }
            location = next
            offset += count
        }
        let response = try await client.send(
            "PUT", RegistryClient.adding("digest=\(digest)", to: location), headers: octets, body: .bytes([]), cancellation: cancellation)
        guard response.status == 201 else { throw client.pushFailure(response, what) }
    }
}

extension RequestBody {
    /// `length` bytes of the body from `offset`.
    func slice(offset: Int64, length: Int64) -> RequestBody {
        switch self {
        case .bytes(let b):
            let start = Int(clamping: offset)
            let end = Int(clamping: min(Int64(b.count), offset + length))
            return .bytes(start < end ? Array(b[start..<end]) : [])
        case .file(let path, let base, _):
            return .file(path: path, offset: base + offset, length: length)
        }
    }
}

extension RegistryClient {
    /// `location` with `query` added to its query string.
    static func adding(_ query: String, to location: String) -> String {
        location + (location.contains("?") ? "&" : "?") + query
    }
}
