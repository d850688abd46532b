import LedgeCore
import Testing

@Suite struct LedgeErrorTests {
    /// A message is one line whatever text it quotes: FuzzRequest found an input name with a
    /// form feed echoed into "is not an input of model" (crasher input-name-with-form-feed).
    @Test(arguments: [
        ("input 'a\u{0C}b' is unknown", "input 'a\\u{c}b' is unknown"),
        ("name 'x\ny'\r\t", "name 'x\\ny'\\r\\t"),
        ("sep \u{2028} nel \u{85} del \u{7F}", "sep \\u{2028} nel \\u{85} del \\u{7f}"),
        ("plain 'é' — fine", "plain 'é' — fine"),
    ])
    func messagesStayOneLine(_ text: String, _ expected: String) {
        let error = LedgeError.invalidInput(text)
        #expect(error.message == expected)
        #expect(!error.message.contains { $0.isNewline })
        #expect(LedgeError(.notFound, text).message == expected)
    }
}
