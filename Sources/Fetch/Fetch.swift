import CCurl
import System

/// A downloaded file.
public struct Download: Sendable {
    /// The final URL (after redirects).
    public var url: String
    /// Seconds since the epoch from `Last-Modified`, when the server sent one.
    public var lastModified: Int?
    public var bytes: Int64
}

/// HTTP(S) downloads through libcurl (redirects followed, TLS verified).
public enum Fetch {
    private final class Sink {
        let file: FileDescriptor
        var bytes: Int64 = 0
        var failed = false
        init(_ file: FileDescriptor) { self.file = file }
    }

    /// Downloads `url` into a new file at `path` (mode 0600). Failures are `.unavailable` (the server or the
    /// network) or the file's own.
    public static func download(_ url: String, to path: String, timeoutSeconds: Int = 300) throws(EstibaError) -> Download {
        guard let api = Fetch.api else {
            throw EstibaError(
                .failedPrecondition,
                "libcurl (libcurl.so.4) is not installed; install it (apt-get install libcurl4) to download files.")
        }
        guard let curl = ccurl_init(api) else { throw EstibaError(.internal, "libcurl could not start a transfer.") }
        defer { ccurl_cleanup(api, curl) }
        let sink = Sink(try FileDescriptor.open(path, [.writeOnly, .create, .truncate], permissions: 0o600))
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            _ = ccurl_set_string(api, curl, CURLOPT_URL, url)
            _ = ccurl_set_long(api, curl, CURLOPT_FOLLOWLOCATION, 1)
            _ = ccurl_set_long(api, curl, CURLOPT_MAXREDIRS, 10)
            _ = ccurl_set_long(api, curl, CURLOPT_FILETIME, 1)
            _ = ccurl_set_long(api, curl, CURLOPT_FAILONERROR, 1)
            _ = ccurl_set_long(api, curl, CURLOPT_CONNECTTIMEOUT, 30)
            _ = ccurl_set_long(api, curl, CURLOPT_TIMEOUT, timeoutSeconds)
            _ = ccurl_set_long(api, curl, CURLOPT_NOSIGNAL, 1)
            _ = ccurl_set_string(api, curl, CURLOPT_PROTOCOLS_STR, "http,https")
            _ = ccurl_set_string(api, curl, CURLOPT_USERAGENT, "estiba")
            _ = ccurl_set_pointer(api, curl, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress))
            _ = ccurl_set_pointer(api, curl, CURLOPT_WRITEDATA, context)
            _ = ccurl_set_write(api, curl) { data, size, count, ctx in
                guard let data, let ctx else { return 0 }
                let s = Unmanaged<Sink>.fromOpaque(ctx).takeUnretainedValue()
                let total = size * count
                do { try s.file.writeAll(UnsafeRawBufferPointer(start: data, count: total)) } catch {
                    s.failed = true
                    return 0
                }
                s.bytes += Int64(total)
                return total
            }
            return ccurl_perform(api, curl)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? (ccurl_strerror(api, code).map { String(cString: $0) } ?? "error \(code.rawValue)") : detail
            if sink.failed { throw EstibaError(.io, "Cannot write the download of \(url) to \(path).", context: ["path": path]) }
            throw EstibaError(.unavailable, "Cannot download \(url): \(reason).", context: ["url": url])
        }
        let time = ccurl_file_time(api, curl)
        let effective = ccurl_effective_url(api, curl).map { String(cString: $0) } ?? url
        return Download(url: effective, lastModified: time >= 0 ? time : nil, bytes: sink.bytes)
    }

    /// libcurl, loaded on first use (Swift globals initialize once, thread-safely).
    nonisolated(unsafe) static let api: UnsafePointer<ccurl_api>? = ccurl_load()
}
