import CCurl
import Glibc

/// A downloaded file.
public struct Download: Sendable {
    /// The final URL (after redirects).
    public var url: String
    /// Seconds since the epoch from `Last-Modified`, when the server sent one.
    public var lastModified: Int?
    public var bytes: Int64
}

/// A download failed; the message says why and what to do.
public struct FetchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// HTTP(S) downloads through libcurl (redirects followed, TLS verified).
public enum Fetch {
    private final class Sink {
        let fd: Int32
        var bytes: Int64 = 0
        var failed = false
        init(fd: Int32) { self.fd = fd }
    }

    /// Downloads `url` into a new file at `path` (mode 0600).
    public static func download(_ url: String, to path: String, timeoutSeconds: Int = 300) throws(FetchError) -> Download {
        guard let api = Fetch.api else {
            throw FetchError("libcurl (libcurl.so.4) is not installed; install it (apt-get install libcurl4) to download files.")
        }
        guard let curl = ccurl_init(api) else { throw FetchError("libcurl could not start a transfer.") }
        defer { ccurl_cleanup(api, curl) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FetchError("Cannot create \(path): \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        let sink = Sink(fd: fd)
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
                var off = 0
                while off < total {
                    let w = write(s.fd, data + off, total - off)
                    if w < 0, errno == EINTR { continue }
                    if w <= 0 {
                        s.failed = true
                        return 0
                    }
                    off += w
                }
                s.bytes += Int64(total)
                return total
            }
            return ccurl_perform(api, curl)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? (ccurl_strerror(api, code).map { String(cString: $0) } ?? "error \(code.rawValue)") : detail
            if sink.failed { throw FetchError("Cannot write the download of \(url) to \(path).") }
            throw FetchError("Cannot download \(url): \(reason).")
        }
        let time = ccurl_file_time(api, curl)
        let effective = ccurl_effective_url(api, curl).map { String(cString: $0) } ?? url
        return Download(url: effective, lastModified: time >= 0 ? time : nil, bytes: sink.bytes)
    }

    /// libcurl, loaded on first use (Swift globals initialize once, thread-safely).
    nonisolated(unsafe) private static let api: UnsafePointer<ccurl_api>? = ccurl_load()
}
