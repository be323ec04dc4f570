import CCurl
import System

extension Fetch {
    private final class Exchange {
        let body: (UnsafeRawBufferPointer) throws(EstibaError) -> Void
        var onResponse: ((Int, [(name: String, value: String)]) throws(EstibaError) -> Void)?
        var began = false
        var shouldStop: (@Sendable () -> Bool)?
        var stopped = false
        var headers: [(name: String, value: String)] = []
        var status = 0
        var errorBody: [UInt8] = []
        var bodyError: EstibaError?
        /// The request body: bytes in memory, or a file read from `offset`.
        var upload: [UInt8] = []
        var uploadFile: FileDescriptor?
        var uploadOffset: Int64 = 0
        var uploadLength: Int64 = 0
        var sent: Int64 = 0
        var onSent: (@Sendable (Int64) -> Void)?
        init(_ body: @escaping (UnsafeRawBufferPointer) throws(EstibaError) -> Void) { self.body = body }

        /// Fills `buffer` with the next bytes of the body; 0 at its end; nil when the file cannot be read.
        func nextUpload(_ buffer: UnsafeMutableRawBufferPointer) -> Int? {
            let wanted = Int(min(Int64(buffer.count), uploadLength - sent))
            guard wanted > 0 else { return 0 }
            let n: Int
            if let file = uploadFile {
                guard let got = try? file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: uploadOffset + sent), got > 0
                else { return nil }
                n = got
            } else {
                let start = Int(sent)
                upload[start..<(start + wanted)].withUnsafeBytes { buffer.copyMemory(from: $0) }
                n = wanted
            }
            sent += Int64(n)
            onSent?(sent)
            return n
        }
    }

    /// Performs `request`, passing the final response's body to `body` as it arrives when its status is 2xx
    /// (blocking: call it on a thread of its own). Any status is a response; a request that gets none fails
    /// `.unavailable` with `context["transport"]` naming why (`TransportFailure`) and `context["reason"]` in
    /// libcurl's words; a failure of `body` is rethrown as it is. `onResponse` sees the status and headers of a 2xx
    /// response before its first body bytes (and may refuse it by throwing).
    public static func perform(
        _ request: HTTPRequest, onResponse: ((Int, [(name: String, value: String)]) throws(EstibaError) -> Void)? = nil,
        body: @escaping (UnsafeRawBufferPointer) throws(EstibaError) -> Void
    ) throws(EstibaError) -> HTTPResponse {
        guard let api = Fetch.api else {
            throw EstibaError(
                .failedPrecondition,
                "libcurl (libcurl.so.4) is not installed; install it (apt-get install libcurl4) to talk to registries.")
        }
        guard let curl = ccurl_init(api) else { throw EstibaError(.internal, "libcurl could not start a transfer.") }
        defer { ccurl_cleanup(api, curl) }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { if let list { ccurl_slist_free(api, list) } }
        for (name, value) in request.headers {
            guard let grown = ccurl_slist_append(api, list, "\(name): \(value)") else {
                throw EstibaError(.internal, "libcurl could not hold the request's headers.")
            }
            list = grown
        }
        let exchange = Exchange(body)
        exchange.shouldStop = request.shouldStop
        exchange.onResponse = onResponse
        exchange.onSent = request.onSent
        switch request.body {
        case .bytes(let bytes)?:
            exchange.upload = bytes
            exchange.uploadLength = Int64(bytes.count)
        case .file(let path, let offset, let length)?:
            exchange.uploadFile = try FileDescriptor.open(path)
            exchange.uploadOffset = offset
            exchange.uploadLength = length
        case nil: break
        }
        defer { exchange.uploadFile?.close() }
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            _ = ccurl_set_string(api, curl, CURLOPT_URL, request.url)
            switch request.method {
            case "GET": break
            case "HEAD": _ = ccurl_set_long(api, curl, CURLOPT_NOBODY, 1)
            default: _ = ccurl_set_string(api, curl, CURLOPT_CUSTOMREQUEST, request.method)
            }
            let https = request.url.lowercased().hasPrefix("https:")
            _ = ccurl_set_long(api, curl, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
            _ = ccurl_set_long(api, curl, CURLOPT_MAXREDIRS, 10)
            _ = ccurl_set_string(api, curl, CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https")
            _ = ccurl_set_string(api, curl, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https")
            _ = ccurl_set_long(api, curl, CURLOPT_CONNECTTIMEOUT, 30)
            _ = ccurl_set_long(api, curl, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = ccurl_set_long(api, curl, CURLOPT_LOW_SPEED_TIME, request.stallSeconds)
            if let limit = request.timeoutSeconds { _ = ccurl_set_long(api, curl, CURLOPT_TIMEOUT, limit) }
            _ = ccurl_set_long(api, curl, CURLOPT_NOSIGNAL, 1)
            _ = ccurl_set_string(api, curl, CURLOPT_USERAGENT, "estiba")
            if let ca = request.caFile { _ = ccurl_set_string(api, curl, CURLOPT_CAINFO, ca) }
            if !request.verifyPeer {
                _ = ccurl_set_long(api, curl, CURLOPT_SSL_VERIFYPEER, 0)
                _ = ccurl_set_long(api, curl, CURLOPT_SSL_VERIFYHOST, 0)
            }
            if request.body != nil {
                // The method stays the one set above (libcurl would send PUT for an upload without one).
                _ = ccurl_set_upload(api, curl, { buffer, size, count, ctx in
                    let abort = Int(CURL_READFUNC_ABORT)
                    guard let buffer, let ctx else { return abort }
                    let x = Unmanaged<Exchange>.fromOpaque(ctx).takeUnretainedValue()
                    return x.nextUpload(UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) ?? abort
                }, context, curl_off_t(exchange.uploadLength))
            }
            if let list { _ = ccurl_set_header_list(api, curl, list) }
            _ = ccurl_set_pointer(api, curl, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress))
            _ = ccurl_set_pointer(api, curl, CURLOPT_WRITEDATA, context)
            _ = ccurl_set_pointer(api, curl, CURLOPT_HEADERDATA, context)
            _ = ccurl_set_header_function(api, curl) { data, size, count, ctx in
                guard let data, let ctx else { return 0 }
                let x = Unmanaged<Exchange>.fromOpaque(ctx).takeUnretainedValue()
                let total = size * count
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: total), as: UTF8.self)
                if line.hasPrefix("HTTP/") {
                    // A new response (after a redirect or a 100): only the final one's headers count.
                    x.headers = []
                    x.errorBody = []
                    x.began = false
                    let fields = line.split(separator: " ", maxSplits: 2)
                    x.status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
                } else if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].trimmingBlanks
                    let value = line[line.index(after: colon)...].trimmingBlanks
                    x.headers.append((String(name), String(value)))
                }
                return total
            }
            _ = ccurl_set_write(api, curl) { data, size, count, ctx in
                guard let data, let ctx else { return 0 }
                let x = Unmanaged<Exchange>.fromOpaque(ctx).takeUnretainedValue()
                let total = size * count
                guard (200..<300).contains(x.status) else {
                    let room = max(0, 65536 - x.errorBody.count)
                    x.errorBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(total, room)))
                    return total
                }
                do throws(EstibaError) {
                    if !x.began {
                        x.began = true
                        try x.onResponse?(x.status, x.headers)
                    }
                    try x.body(UnsafeRawBufferPointer(start: data, count: total))
                } catch {
                    x.bodyError = error
                    return 0
                }
                return total
            }
            if request.shouldStop != nil {
                _ = ccurl_set_progress(api, curl, { ctx, _, _, _, _ in
                    guard let ctx else { return 0 }
                    let x = Unmanaged<Exchange>.fromOpaque(ctx).takeUnretainedValue()
                    guard x.shouldStop?() == true else { return 0 }
                    x.stopped = true
                    return 1
                }, context)
            }
            return ccurl_perform(api, curl)
        }
        if let failure = exchange.bodyError { throw failure }
        if exchange.stopped { throw EstibaError.cancelled }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? (ccurl_strerror(api, code).map { String(cString: $0) } ?? "error \(code.rawValue)") : detail
            throw EstibaError(
                .unavailable, "No response from \(request.url): \(reason).",
                context: ["url": request.url, "transport": Self.failure(code).rawValue, "reason": reason])
        }
        let effective = ccurl_effective_url(api, curl).map { String(cString: $0) } ?? request.url
        return HTTPResponse(status: ccurl_response_code(api, curl), headers: exchange.headers, url: effective, errorBody: exchange.errorBody)
    }

    static func failure(_ code: CURLcode) -> TransportFailure {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .resolve
        case CURLE_COULDNT_CONNECT: .connect
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            .tls
        default: .other
        }
    }
}

extension Substring {
    fileprivate var trimmingBlanks: Substring {
        var s = self
        // "\r\n" is one Character.
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" || f == "\r\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" || l == "\r\n" { s.removeLast() }
        return s
    }
}
