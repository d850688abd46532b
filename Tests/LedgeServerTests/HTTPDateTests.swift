@testable import LedgeServer
@testable import LedgeServing
import Testing

/// The `Date` field `ledge serve` writes (RFC 9110 §5.6.7 IMF-fixdate).
@Suite struct HTTPDateTests {
    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")  // RFC 9110's example
        #expect(HTTPDate.format(978_307_200) == "Mon, 01 Jan 2001 00:00:00 GMT")
        #expect(HTTPDate.format(1_767_225_599) == "Wed, 31 Dec 2025 23:59:59 GMT")
    }
}
