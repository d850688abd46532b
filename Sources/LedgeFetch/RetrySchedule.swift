#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// When to try a request again after an answer that says "later" (or none): the server's
/// `Retry-After` — seconds, or an HTTP date counted from `now` — at most 30 s, else 1, 2, 4 s…
/// (`1 << retry`); `nil` once `retries` retries were made. The trace exporter and model
/// downloads both wait this way.
package enum RetrySchedule {
    /// Seconds to wait before retry number `retry + 1` (0-based `retry`), or `nil` past the last.
    package static func delay(
        retryAfter: String?, retry: Int, retries: Int = 3, now: Int64 = Int64(Date().timeIntervalSince1970)
    ) -> Int? {
        guard retry < retries else { return nil }
        if let text = retryAfter?.trimmingWhitespace() {
            if let seconds = Int(text), seconds >= 0 { return min(seconds, 30) }
            if let date = HTTPDate.seconds(text) { return Int(min(max(date - now, 0), 30)) }
        }
        return 1 << min(retry, 5)
    }
}
