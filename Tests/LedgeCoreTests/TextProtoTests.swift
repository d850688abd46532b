import LedgeCore
import Testing

/// Protobuf text format as Triton's config.pbtxt uses it: every syntax, and each
/// syntax error as one line naming the file, line and column.
@Suite struct TextProtoTests {
    typealias Value = TextProto.Value

    static func parse(_ text: String) throws -> TextProto { try TextProto.parse(text, file: "c.pbtxt") }

    static func error(_ message: String) -> LedgeError { LedgeError.invalidModel("c.pbtxt:" + message) }

    @Test func everySyntaxWithPositions() throws {
        let text = """
            # a comment line
            name: "m"  # a comment after a field
            max_batch_size: -1, kind: KIND_CPU; ratio: 0.5 big: 1e-3 on: true
            input [ { name: 'a' }, { name: "b" } ]
            dims: [1, -1, 3]
            dims: 4
            nested { inner: { deep < x: 1 > } }
            escaped: "t\\t\\"q\\"\\n\\x41\\101\\u00e9" "+more"
            empty: []
            """
        let tree = try Self.parse(text)
        #expect(
            tree.fields.map(\.name) == [
                "name", "max_batch_size", "kind", "ratio", "big", "on", "input", "dims", "dims", "nested", "escaped", "empty",
            ])
        #expect(tree.fields.map(\.position.description) == ["2:1", "3:1", "3:21", "3:37", "3:48", "3:58", "4:1", "5:1", "6:1", "7:1", "8:1", "9:1"])
        #expect(tree.fields[0].value == .string("m"))
        #expect(tree.fields[1].value == .number("-1"))
        #expect(tree.fields[2].value == .identifier("KIND_CPU"))
        #expect(tree.fields[3].value == .number("0.5"))
        #expect(tree.fields[4].value == .number("1e-3"))
        #expect(tree.fields[5].value == .identifier("true"))
        let name = { (s: String, line: Int, column: Int) in
            TextProto.Field(name: "name", value: .string(s), position: .init(line: line, column: column))
        }
        #expect(
            tree.fields[6].value
                == .list([
                    .init(value: .message(TextProto(fields: [name("a", 4, 11)])), position: .init(line: 4, column: 9)),
                    .init(value: .message(TextProto(fields: [name("b", 4, 26)])), position: .init(line: 4, column: 24)),
                ]))
        #expect(
            tree.fields[7].value
                == .list([
                    .init(value: .number("1"), position: .init(line: 5, column: 8)),
                    .init(value: .number("-1"), position: .init(line: 5, column: 11)),
                    .init(value: .number("3"), position: .init(line: 5, column: 15)),
                ]))
        #expect(tree.fields(named: "dims").count == 2)
        guard case .message(let nested) = tree.fields[9].value, case .message(let inner) = nested.fields[0].value,
            case .message(let deep) = inner.fields[0].value
        else {
            Issue.record("nested messages: \(tree.fields[9].value)")
            return
        }
        #expect(deep.fields == [TextProto.Field(name: "x", value: .number("1"), position: .init(line: 7, column: 26))])
        #expect(tree.fields[10].value == .string("t\t\"q\"\nAAé+more"))
        #expect(tree.fields[11].value == .list([]))
    }

    @Test func emptyAndCommentOnlyTextsAreEmptyMessages() throws {
        #expect(try Self.parse("").fields.isEmpty)
        #expect(try Self.parse("# nothing\n\n   # at all\n").fields.isEmpty)
    }

    @Test(arguments: [
        ("name: \"m", "1:7: unterminated string: expected a closing \" on the same line"),
        ("input {\n  name: 'x'\n", "3:1: end of file inside 'input' opened at 1:7: expected '}'"),
        ("dims: [1, 2", "1:12: end of file inside the list of 'dims' opened at 1:7: expected ']'"),
        ("dims: [1 2]", "1:10: unexpected number 2 in the list of 'dims': expected ',' or ']'"),
        ("dims: [[1]]", "1:8: unexpected '[' in the list of 'dims': expected a value"),
        ("name \"m\"", "1:6: string \"m\" after field 'name': expected ':' or '{'"),
        ("name: }", "1:7: unexpected '}' after 'name:': expected a value"),
        ("}", "1:1: unexpected '}': expected a field name"),
        ("a { 1 }", "1:5: unexpected number 1: expected a field name or '}'"),
        ("a { b: 1 >", "1:10: unexpected '>': expected a field name or '}'"),
        ("count: 12abc", "1:8: malformed number '12abc': expected an integer or a decimal number"),
        ("count: 1.2.3", "1:8: malformed number '1.2.3': expected an integer or a decimal number"),
        ("name: \"a\\qb\"", "1:9: unknown escape '\\q': expected one of \\n \\t \\r \\\\ \\' \\\" \\x.. \\u...."),
        ("name: \"\\u12\"", "1:8: malformed \\u escape: expected 4 hex digits"),
        ("name: \"\\xff\"", "1:7: string is not valid UTF-8 once its escapes are decoded: expected UTF-8 text"),
        ("name: @", "1:7: unexpected character '@': expected a field name, a value or one of { } [ ] : , ;"),
        ("[ext.field]: 1", "1:1: extension or Any fields ('[…]') are not supported: expected a field name"),
        ("name: \"a\\\nb\"", "1:7: unterminated string: expected a closing \" on the same line"),
        ("name: \u{1}", "1:7: unexpected character '\\u{1}': expected a field name, a value or one of { } [ ] : , ;"),
        ("a: 1 \"x\\ny\"", "1:6: unexpected string \"x\\ny\": expected a field name"),
    ])
    func syntaxErrors(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try Self.parse(text) }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "a {", count: 70) + String(repeating: "}", count: 70)
        #expect(throws: Self.error("1:195: messages nested deeper than 64: expected at most 64 levels")) { try Self.parse(text) }
    }
}
