import Foundation
import LedgeCore
import Testing

/// Model names in paths, model URIs and OTLP header values are percent-decoded as Foundation's
/// `removingPercentEncoding` does ("%+f" included: not an escape).
@Suite struct PercentDecodingTests {
    @Test func decodesAsFoundationDoes() {
        let cases = [
            "plain", "a%20b", "%41%42", "%e2%82%ac", "%E2%82%AC", "%", "%2", "%zz", "%ff", "%c3", "%00", "a+b", "%2541",
            "caf%C3%A9", "%e9", "x%", "%%", "%2F..%2F", "", "%+f", "%-1",
        ]
        for raw in cases { #expect(raw.percentDecoded == raw.removingPercentEncoding, "\(raw)") }
    }
}
