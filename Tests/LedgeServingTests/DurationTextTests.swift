@testable import LedgeServing
import Testing

/// The access lines' `duration_ms`: three decimals, rounded to the microsecond, as `%.3f` wrote them.
@Suite struct DurationTextTests {
    @Test func millisecondsHaveThreeDecimals() {
        #expect(Duration.nanoseconds(15_400).millisecondsText == "0.015")
        #expect(Duration.nanoseconds(15_500).millisecondsText == "0.016")
        #expect(Duration.nanoseconds(0).millisecondsText == "0.000")
        #expect(Duration.microseconds(1_234_567).millisecondsText == "1234.567")
        #expect(Duration.milliseconds(12).millisecondsText == "12.000")
        #expect(Duration.seconds(3).millisecondsText == "3000.000")
        #expect(Duration.nanoseconds(999_999_600).millisecondsText == "1000.000")
    }
}
