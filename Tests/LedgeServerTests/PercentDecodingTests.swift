import Foundation
@testable import LedgeServer
@testable import LedgeServing
import Testing

/// Model names in paths are percent-decoded as Foundation's `removingPercentEncoding` did.
@Suite struct PercentDecodingTests {
    @Test func decodesAsFoundationDoes() {
        let cases = [
            "plain", "a%20b", "%41%42", "%e2%82%ac", "%E2%82%AC", "%", "%2", "%zz", "%ff", "%c3", "%00", "a+b", "%2541",
            "caf%C3%A9", "%e9", "x%", "%%", "%2F..%2F", "",
        ]
        for raw in cases { #expect(raw.percentDecoded == raw.removingPercentEncoding, "\(raw)") }
    }
}
