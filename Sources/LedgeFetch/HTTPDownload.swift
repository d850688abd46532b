public import LedgeCore
internal import NIOCore
internal import NIOHTTP1

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// What a download may do: its size, redirects and time limits.
public struct DownloadLimits: Sendable, Hashable {
    /// The largest file accepted, in bytes (the declared length is checked first, then what arrives).
    public var maxBytes: Int64
    /// Redirects (301, 302, 303, 307, 308) followed at most.
    public var maxRedirects: Int
    /// Seconds to wait for a connection.
    public var connectTimeout: Int64
    /// Seconds without a byte from the server before giving up.
    public var idleTimeout: Int64
    /// Tries again at most this many times after a cut or stalled transfer, a connection that
    /// fails, or a 408, 429, 500, 502, 503 or 504 answer: after the server's `Retry-After` (at most
    /// 30 s), else 1, 2, 4 s (``RetrySchedule``), resuming from the bytes received.
    public var retries: Int

    /// Limits with these values.
    public init(maxBytes: Int64 = 4 << 30, maxRedirects: Int = 5, connectTimeout: Int64 = 30, idleTimeout: Int64 = 60, retries: Int = 3) {
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.retries = retries
    }
}

/// A finished download.
public struct DownloadResult: Sendable, Hashable {
    /// The URL the content came from, after redirects.
    public var url: String
    /// The file's size once complete.
    public var size: Int64
    /// Where the server resumed (a 206 answer to `Range: bytes=N-`); 0 when it sent everything.
    public var resumedFrom: Int64
}

extension HTTPClient {
    /// GETs `url` into the open file `fd`, streaming (never the whole body in memory).
    ///
    /// With `offset` > 0 (the bytes already in the file) it asks `Range: bytes=offset-`: a 206
    /// from there appends, a 200 rewrites the file from the start, a 416 or a 206 from elsewhere
    /// starts over without a range. Follows redirects within `limits`; https never redirects
    /// to http. Errors are one line starting with `url`; after a cut connection the bytes
    /// received stay in the file, so a later call resumes from them.
    ///
    /// A failure worth another try (``DownloadLimits/retries``) is tried again from the bytes the
    /// file holds, after `onRetry` was told why and how many seconds it waits.
    ///
    /// `headers` gives each request's extra headers for the URL it goes to, when it is made
    /// (an S3 signature, which holds for minutes); `label` names the download in errors
    /// instead of `url` (an `s3://` URI).
    public func download(
        _ url: String, to fd: Int32, from offset: Int64, limits: DownloadLimits, label: String? = nil,
        headers: (@Sendable (RequestURL) -> [(String, String)])? = nil, onRetry: (@Sendable (String, Int) -> Void)? = nil
    ) async throws -> DownloadResult {
        guard var current = RequestURL(url) else { throw LedgeError.usage("URL '\(url)': expected http(s)://HOST[:PORT]/PATH") }
        let label = label ?? url
        var offset = offset
        var redirects = 0
        var restarted = false
        var retries = 0
        while true {
            let outcome: Attempt
            do {
                outcome = try await attempt(current, label: label, fd: fd, offset: offset, limits: limits, extra: headers?(current) ?? [])
            } catch {
                guard let failure = error as? RetryableFailure else { throw error }
                guard let delay = RetrySchedule.delay(retryAfter: failure.retryAfter, retry: retries, retries: limits.retries) else {
                    throw failure.error
                }
                retries += 1
                onRetry?(failure.error.message, delay)
                try await Task.sleep(for: .seconds(delay))
                offset = LocalFiles.size(fd)  // what arrived stays: the next try resumes from it
                continue
            }
            switch outcome {
            case .done(let result):
                return result
            case .restart where !restarted:
                restarted = true
                offset = 0
            case .restart:
                throw LedgeError(.remoteFailure, "\(label): the server does not resume downloads consistently")
            case .redirect(let code, let location):
                redirects += 1
                guard redirects <= limits.maxRedirects else {
                    throw LedgeError(.remoteFailure, "\(label): more than \(limits.maxRedirects) redirects")
                }
                guard let next = current.resolving(location) else {
                    throw LedgeError(.remoteFailure, "\(label): redirect \(code) to '\(location)', expected an http(s) URL")
                }
                guard next.secure || !current.secure else {
                    throw LedgeError(.remoteFailure, "\(label): redirect from https to \(next.text) refused")
                }
                current = next
            }
        }
    }

    private enum Attempt {
        case done(DownloadResult)
        case redirect(Int, String)
        case restart
    }

    /// A failure another try may not meet: `error` says what happened, `retryAfter` is the server's.
    private struct RetryableFailure: Error {
        let error: LedgeError
        var retryAfter: String? = nil
    }

    /// Answers that mean "later": a timeout, too many requests, a server or gateway failing.
    private static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    private func attempt(
        _ url: RequestURL, label: String, fd: Int32, offset: Int64, limits: DownloadLimits, extra: [(String, String)]
    ) async throws -> Attempt {
        do {
            let channel = try await Self.connect(
                url, connectTimeout: .seconds(limits.connectTimeout), idleTimeout: .seconds(limits.idleTimeout))
            return try await channel.executeThenClose { inbound, outbound in
                var headers = [("Accept-Encoding", "identity")] + extra
                if offset > 0 { headers.append(("Range", "bytes=\(offset)-")) }
                // One write, one flush: a server may answer and close before a second write.
                var writeError: (any Error)?
                do {
                    try await outbound.write(contentsOf: [.head(Self.requestHead(.GET, url, headers: headers)), .end(nil)])
                } catch {
                    writeError = error
                }
                var parts = inbound.makeAsyncIterator()
                guard case .head(let head)? = try await parts.next() else {
                    if let writeError { throw writeError }
                    throw RetryableFailure(error: LedgeError(.remoteFailure, "\(label): the connection closed before an answer"))
                }
                let code = Int(head.status.code)
                var start: Int64 = 0
                switch code {
                case 301,
                    307 where head.headers.first(name: "Location") == nil && head.headers.first(name: "x-amz-bucket-region") != nil:
                    // S3 sends a request for a bucket of another region away without a Location.
                    let region = head.headers.first(name: "x-amz-bucket-region") ?? ""
                    throw LedgeError(
                        .remoteFailure, "\(label): the bucket is in region \(region), not the one asked: set AWS_REGION=\(region)")
                case 301, 302, 303, 307, 308: return .redirect(code, head.headers.first(name: "Location") ?? "")
                case 416 where offset > 0: return .restart
                case 200: guard ftruncate(fd, 0) == 0 else { throw writeFailure(label) }
                case 206:
                    guard offset > 0, Self.rangeStart(head.headers.first(name: "Content-Range")) == offset else { return .restart }
                    start = offset
                default:
                    // An object store says why in its body (S3: <Error><Code>…</Code><Message>…</Message>).
                    var body: [UInt8] = []
                    while body.count < 8192, case .body(let buffer)? = try? await parts.next() { body += buffer.readableBytesView }
                    let error = LedgeError(
                        code == 404 ? .notFound : .remoteFailure,
                        "\(label): HTTP \(code) \(head.status.reasonPhrase)\(Self.errorDetail(body, head.headers))")
                    guard Self.retryableStatuses.contains(code) else { throw error }
                    throw RetryableFailure(error: error, retryAfter: head.headers.first(name: "Retry-After"))
                }
                let expected = head.headers.first(name: "Content-Length").flatMap { Int64($0) }.map { start + $0 }
                if let expected, expected > limits.maxBytes { throw tooLarge(label, limits) }
                var position = start
                var complete = false  // the parser saw the body's end (length, last chunk, or close)
                do {
                    while let part = try await parts.next() {
                        guard case .body(let buffer) = part else {
                            complete = true
                            break
                        }
                        guard position + Int64(buffer.readableBytes) <= limits.maxBytes else { throw tooLarge(label, limits) }
                        try Self.write(buffer, to: fd, at: position, label: label)
                        position += Int64(buffer.readableBytes)
                    }
                } catch let error as LedgeError {
                    throw error
                } catch let timeout as ReadTimeout {
                    throw timeout
                } catch {
                    // The parser's complaint about a cut body: what counts is how much arrived.
                }
                guard complete, expected == nil || expected == position else {
                    let total = expected.map { " of \($0)" } ?? ""
                    throw RetryableFailure(
                        error: LedgeError(
                            .remoteFailure, "\(label): the connection closed after \(position)\(total) bytes (a new fetch resumes from there)"))
                }
                return .done(DownloadResult(url: url.text, size: position, resumedFrom: start))
            }
        } catch let error as LedgeError {
            throw error
        } catch let failure as RetryableFailure {
            throw failure
        } catch is ReadTimeout {
            throw RetryableFailure(error: LedgeError(.timedOut, "\(label): no data for \(limits.idleTimeout) s"))
        } catch {
            let reason = Self.describe(error)
            let failure = LedgeError(.remoteFailure, "\(label): \(reason)")
            // What no retry changes (a certificate that does not fit, …) fails at once.
            if Self.isLasting(error, reason: reason) { throw failure }
            throw RetryableFailure(error: failure)
        }
    }

    /// Why the server refused, when it says: an object store's XML error (``storeErrorDetail(_:)``),
    /// else the Hugging Face Hub's `X-Error-Code` and `X-Error-Message` headers (`: GatedRepo:
    /// Access to model … is restricted…`).
    static func errorDetail(_ body: [UInt8], _ headers: HTTPHeaders) -> String {
        let store = storeErrorDetail(body) + GoogleAPIError.detail(body)
        guard store.isEmpty, let message = headers.first(name: "X-Error-Message"), !message.isEmpty else { return store }
        let code = headers.first(name: "X-Error-Code").map { ": \($0.prefix(100))" } ?? ""
        return code + ": \(message.prefix(300))"
    }

    /// `: CODE: MESSAGE` of an S3-style XML error body (`<Code>NoSuchKey</Code>`,
    /// `<Message>…</Message>`), empty for any other body.
    static func storeErrorDetail(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard text.contains("<Error>"), let code = XMLText.element("Code", in: text) else { return "" }
        return ": \(code.prefix(200))" + (XMLText.element("Message", in: text).map { ": \($0.prefix(200))" } ?? "")
    }

    /// N of `Content-Range: bytes N-M/T`.
    static func rangeStart(_ value: String?) -> Int64? {
        guard let value, value.hasPrefix("bytes ") else { return nil }
        return Int64(value.dropFirst(6).prefix { $0 != "-" })
    }

    private static func write(_ buffer: ByteBuffer, to fd: Int32, at position: Int64, label: String) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw writeFailure(label) }
                done += n
            }
        }
    }
}

private func writeFailure(_ label: String) -> LedgeError {
    LedgeError(.runtimeFailure, "\(label): cannot write the download (\(String(cString: strerror(errno))))")
}

private func tooLarge(_ label: String, _ limits: DownloadLimits) -> LedgeError {
    LedgeError(.tooLarge, "\(label): larger than the limit of \(limits.maxBytes) bytes")
}
