@testable import LedgeServer
import Testing

/// The `Inference-Header-Content-Length` value as the infer route reads it.
@Suite struct LengthHeaderTests {
    @Test func absentNumberAndPadding() throws {
        #expect(try V2InferenceCoding.jsonLength(header: nil) == nil)
        #expect(try V2InferenceCoding.jsonLength(header: " 216\t") == 216)
    }

    /// FuzzRequest's crasher Fuzz/Crashers/FuzzRequest/length-header-with-form-feed: the value went
    /// into the 400 message as it was, so a form feed (a line break to Swift and to log readers) split it.
    @Test func controlCharactersAreShownAsQuestionMarks() {
        #expect(throws: ServerError.badRequest("Inference-Header-Content-Length 'Rang?998' is not a number: expected the JSON length in bytes")) {
            try V2InferenceCoding.jsonLength(header: "Rang\u{0C}998")
        }
    }
}
