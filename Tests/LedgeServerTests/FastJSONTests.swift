import Foundation
@testable import LedgeServer
@testable import LedgeServing
import LedgeCore
import LedgeTesting
import Testing

/// The hand-written JSON paths of `infer` (request parser and reader, response writer),
/// the parser and writer against Foundation's JSONDecoder / JSONSerialization on the same text.
@Suite struct FastJSONTests {
    func parse(_ text: String) -> JSONValue? {
        Data(text.utf8).withUnsafeBytes { JSONParser.parse($0) }
    }

    /// The value as text; with `numeric`, integers JSONDecoder would give as
    /// doubles (below 2^53) are written as doubles, to compare values not literals.
    func describe(_ value: JSONValue?, numeric: Bool = false) -> String {
        guard let value else { return "nil" }
        let describe = { (value: JSONValue?) in self.describe(value, numeric: numeric) }
        switch value {
        case .null: return "null"
        case .bool(let flag): return "\(flag)"
        case .number(let number): return "n\(number)"
        case .int(let int) where numeric && int.magnitude < 1 << 53: return "n\(Double(int))"
        case .int(let int): return "i\(int)"
        case .uint(let uint): return "u\(uint)"
        case .string(let text): return "s\(text)"
        case .array(let items): return "[" + items.map(describe).joined(separator: ",") + "]"
        case .numbers(let packed): return "[" + (0..<packed.count).map { describe(packed.element($0)) }.joined(separator: ",") + "]"
        case .object(let members): return "{" + members.keys.sorted().map { "\($0):\(describe(members[$0]))" }.joined(separator: ",") + "}"
        }
    }

    @Test(arguments: [
        "0", "-0", "7", "-12", "3.25", "-1.5e-3", "2E+10", "1e400", "9007199254740992", "9007199254740993",
        "-9223372036854775808", "18446744073709551615", "true", "false", "null", #""héllo""#, "[]", "{}",
        " [ 1 , [ 2 , 3 ] , { \"a\" : null } ] ", #"{"a":{"b":[true,false]}}"#,
    ])
    func wellFormedValuesParseAsJSONDecoderDecodesThem(_ text: String) throws {
        let expected = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(describe(parse(text), numeric: true) == describe(expected, numeric: true))
    }

    /// Numbers take Clinger's fast path when significand and power of ten are exact, else
    /// strtod: either way the value is the correctly rounded one, as Swift's own `Double(_:)`.
    @Test func numbersAreCorrectlyRounded() {
        var generator = SeededGenerator(seed: 20261203)
        var literals = [
            "0.1", "0.2", "0.3", "-0.0", "1e22", "1e23", "9007199254740993.0", "9007199254740992.5", "4.9e-324", "2.2250738585072014e-308",
            "1.7976931348623157e308", "123456789012345678901234567890e-20", "0.000000000000000000000000000001", "5e-22", "5e-23",
            "0.30000000000000004", "0.5488135039273248", "71518.936637241948e-5",
        ]
        for _ in 0..<4000 {
            let double = Double(bitPattern: UInt64.random(in: 0x3C00_0000_0000_0000...0x4400_0000_0000_0000, using: &generator))
            literals.append(double.description)  // shortest round trip, up to 17 digits
            literals.append(Double(Float(double)).description)  // a float32 tensor's values, as a client writes them
            literals.append(String(Int.random(in: 0...999_999_999, using: &generator)) + "e" + String(Int.random(in: -30...30, using: &generator)))
        }
        var mismatches: [String] = []
        for literal in literals {
            let parsed: Double? =
                if case .number(let number)? = parse("[\(literal)]").flatMap({ if case .array(let items) = $0 { items.first } else { nil } }) {
                    number
                } else { nil }
            if parsed?.bitPattern != Double(literal)?.bitPattern { mismatches.append("\(literal): \(parsed.map { "\($0)" } ?? "nil")") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func integerLiteralsStayIntegers() {
        #expect(
            describe(parse("[1, 1.0, 1e0, -0, 0, 18446744073709551615, 18446744073709551616]"))
                == "[i1,n1.0,n1.0,n-0.0,i0,u18446744073709551615,n1.8446744073709552e+19]")
    }

    @Test(arguments: [
        (#""esc\"aped""#, "sesc\"aped"), (#""\u00e9\n\t\/\\""#, "sé\n\t/\\"), (#""\ud83d\ude00""#, "s😀"), (#""héllo""#, "shéllo"),
    ])
    func escapesAreUnescaped(_ text: String, _ expected: String) {
        #expect(describe(parse(text)) == expected)
    }

    @Test(arguments: [
        "", " ", "01", "1.", ".5", "-", "+1", "1e", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "\"open",
        "\"tab\there\"", "tru", "nul", "NaN", "Infinity", "[1]x", #""\x""#, #""\u12""#, #""\ud800""#,
        #""\ud800\u0041""#, "[1,2,]", "[-]", "1.0e",
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func malformedTextIsRefused(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]  // "\xC3(" : a lead byte without its continuation
        #expect(bytes.withUnsafeBytes { JSONParser.parse($0) } == nil)
    }

    @Test func nestingUpToTheLimitParses() {
        let text = String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)
        #expect(parse(text) != nil)
    }

    /// Valid requests read field by field: ids, parameters (null is absent), shapes, outputs; keys Ledge does not read are ignored.
    @Test func requestsAreReadFieldByField() throws {
        let first = try RequestDecoding.decode(
            Data(#"{"id":"r1","inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[1,2.5,-3,4e2]}]}"#.utf8))
        #expect(first.id == "r1" && first.parameters == nil && first.outputs == nil)
        #expect(first.inputs.map { "\($0.name) \($0.shape) \($0.datatype)" } == ["a [1, 4] FP32"])
        #expect(describe(first.inputs[0].data, numeric: true) == "[n1.0,n2.5,n-3.0,n400.0]")
        let second = try RequestDecoding.decode(
            Data(
                #"{"inputs":[{"name":"a","shape":[1],"datatype":"BOOL","data":[true],"parameters":{"binary_data_size":null}}],"parameters":{"binary_data_output":false,"timeout":7},"id":null,"outputs":[{"name":"sum","parameters":{"binary_data":true,"classification":3}}],"extra":{"ignored":[1,"x"]}}"#
                    .utf8))
        #expect(second.id == nil)
        #expect(second.parameters?.binary_data_output == false && second.parameters?.timeout == 7)
        #expect(second.inputs[0].parameters?.binary_data_size == nil && describe(second.inputs[0].data) == "[true]")
        #expect(second.outputs?.map(\.name) == ["sum"])
        #expect(second.outputs?[0].parameters?.binary_data == true && second.outputs?[0].parameters?.classification == 3)
        let shared = try RequestDecoding.decode(
            Data(
                #"{"inputs":[{"name":"x","shape":[4],"datatype":"UINT8","parameters":{"shared_memory_region":"r","shared_memory_byte_size":4,"shared_memory_offset":8,"content_type":"base64"}}],"parameters":{"priority":2}}"#
                    .utf8))
        let parameters = try #require(shared.inputs[0].parameters)
        #expect(parameters.shared_memory_region == "r" && parameters.shared_memory_byte_size == 4 && parameters.shared_memory_offset == 8)
        #expect(parameters.content_type == "base64" && shared.parameters?.priority == 2 && shared.inputs[0].data == nil)
    }

    /// The `data` of the first input of `{"inputs":[{"data": DATA}]}`-shaped JSON.
    func firstInputData(_ json: JSONValue?) -> JSONValue? {
        guard case .object(let members)? = json, case .array(let inputs)? = members["inputs"], case .object(let fields)? = inputs.first
        else { return nil }
        return fields["data"]
    }

    /// The tensor data of a request's inputs is read into one packed buffer, nesting
    /// flattened and integer literals marked; `data` elsewhere stays a tree.
    @Test func inputDataIsPacked() throws {
        let json = parse(#"{"inputs":[{"name":"a","data":[[1, 2.5], [-0, 3e2, [] ]]}],"data":[1],"x":{"data":[2]}}"#)
        guard case .object(let members)? = json, case .array(let inputs)? = members["inputs"],
            case .object(let fields) = inputs[0], case .numbers(let packed)? = fields["data"]
        else {
            Issue.record("no packed data in \(describe(json))")
            return
        }
        #expect(packed.values.map(\.bitPattern) == [1, 2.5, -0.0, 300].map(\.bitPattern))
        #expect(packed.values.indices.map(packed.isIntegerLiteral) == [true, false, false, false])
        #expect(describe(members["data"]) == "[i1]" && describe(members["x"]) == "{data:[i2]}")
        if case .numbers? = members["data"] { Issue.record("top-level data was packed") }
    }

    /// Data that is not numbers only (or holds integers a Double would round) is parsed as a tree.
    @Test(arguments: [
        "[true, 1]", #"[1, "x"]"#, "[9007199254740993]", "[-9007199254740993]", "[18446744073709551615]", "[[1], {}]", #"{"a":1}"#, "null", "7",
    ])
    func otherDataIsATree(_ data: String) throws {
        guard let value = firstInputData(parse(#"{"inputs":[{"name":"a","data":"# + data + "}]}")) else {
            Issue.record("\(data) does not parse")
            return
        }
        if case .numbers = value { Issue.record("\(data) was packed") }
        #expect(describe(value) == describe(parse(data)))
    }

    @Test(arguments: [
        "[1,]", "[[1]", "[1]]", "[,1]", "[1 2]", "[01]", "[1.]", "[-]", "[[1],,[2]]",
        String(repeating: "[", count: 62) + "1" + String(repeating: "]", count: 62),
    ])
    func malformedInputDataIsRefused(_ data: String) {
        #expect(parse(#"{"inputs":[{"data":"# + data + "}]}") == nil)
    }

    @Test func inputDataNestsUpToTheLimit() {
        // The root object, `inputs` and the input object are 3 levels: 61 more reach the limit.
        let data = String(repeating: "[", count: 61) + "1" + String(repeating: "]", count: 61)
        #expect(parse(#"{"inputs":[{"data":"# + data + "}]}") != nil)
    }

    /// Packed data gives the tensor (or the error) one value per number gives, for every dtype.
    @Test func packedDataMakesTheSameTensors() throws {
        let datas = [
            "[1, 2, 3, 4]", "[[0.5, -1.25], [3e2, 4]]", "[0, 1, 1, 0]", "[255, 0, 128, 7]", "[-128, 127, 0, -1]",
            "[300, 1, 2, 3]", "[1.5, 1, 2, 3]", "[-1, 0, 1, 2]", "[65504, 70000, -0, 1e-8]", "[2, 0, 1, 1]",
            "[9007199254740992, -9007199254740992, 0, 1]", "[1e300, 3.4028235e38, 1, 2]",
        ]
        for dtype in DType.allCases {
            for data in datas {
                guard let packed = firstInputData(parse(#"{"inputs":[{"data":"# + data + "}]}")), let tree = parse(data) else {
                    Issue.record("\(data) does not parse")
                    continue
                }
                let fromPacked = Result { try TensorCoding.tensor(name: "a", dtype: dtype, shape: [4], count: 4, data: packed) }
                let fromTree = Result { try TensorCoding.tensor(name: "a", dtype: dtype, shape: [4], count: 4, data: tree) }
                switch (fromPacked, fromTree) {
                case (.success(let a), .success(let b)):
                    #expect(a.withUnsafeBytes { Array($0) } == b.withUnsafeBytes { Array($0) }, "\(dtype) \(data)")
                case (.failure(let a), .failure(let b)):
                    #expect("\(a)" == "\(b)", "\(dtype) \(data)")
                default:
                    Issue.record("\(dtype) \(data): packed \(fromPacked), tree \(fromTree)")
                }
            }
        }
        let data = try #require(firstInputData(parse(#"{"inputs":[{"data":[1,2,3]}]}"#)))
        #expect(throws: LedgeError.invalidInput("input 'a': shape [4] needs 4 values, got 3 in 'data'")) {
            try TensorCoding.tensor(name: "a", dtype: .float32, shape: [4], count: 4, data: data)
        }
    }

    @Test func writerWritesIntegersAsStringDoes() {
        func check<T: FixedWidthInteger>(_ type: T.Type) {
            var values: [T] = [.min, .max, 0, 1, 9, 10, 99, 100, T.max / 10, T.max / 10 + 1]
            if T.isSigned { values += [-1, -9, -10, T.min + 1, T.min / 10] }
            var generator = SystemRandomNumberGenerator()
            values += (0..<200).map { _ in T.random(in: .min ... .max, using: &generator) }
            for value in values {
                var writer = JSONWriter()
                writer.integer(value)
                #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value), "\(T.self) \(value)")
            }
        }
        check(UInt8.self)
        check(Int8.self)
        check(UInt16.self)
        check(Int16.self)
        check(UInt32.self)
        check(Int32.self)
        check(UInt64.self)
        check(Int64.self)
        check(Int.self)
        var writer = JSONWriter()
        writer.integer(Int128.min)  // wider than 64 bits: through String
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "-170141183460469231731687303715884105728")
    }

    /// A tensor's elements are read from its bytes as its dtype's type.
    @Test func writerWritesEveryDTypesElements() {
        func text(_ tensor: Tensor) -> String {
            var writer = JSONWriter()
            writer.values(of: tensor)
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        #expect(text(Tensor(dtype: .float32, shape: [3], values: [Float(1), -2.5, 0.1])) == "[1,-2.5,0.1]")
        #expect(text(Tensor(dtype: .float64, shape: [2], values: [0.1, 1e300])) == "[0.1,1e+300]")
        #expect(text(Tensor(dtype: .float16, shape: [2], values: [Float16(0.5), Float16(-3)])) == "[0.5,-3]")
        #expect(text(Tensor(dtype: .bool, shape: [3], values: [UInt8(1), 0, 7])) == "[true,false,true]")
        #expect(text(Tensor(dtype: .uint8, shape: [2], values: [UInt8(0), 255])) == "[0,255]")
        #expect(text(Tensor(dtype: .int8, shape: [2], values: [Int8.min, 5])) == "[-128,5]")
        #expect(text(Tensor(dtype: .uint16, shape: [1], values: [UInt16.max])) == "[65535]")
        #expect(text(Tensor(dtype: .int16, shape: [1], values: [Int16.min])) == "[-32768]")
        #expect(text(Tensor(dtype: .uint32, shape: [1], values: [UInt32.max])) == "[4294967295]")
        #expect(text(Tensor(dtype: .int32, shape: [2, 1], values: [Int32.min, -1])) == "[-2147483648,-1]")
        #expect(text(Tensor(dtype: .uint64, shape: [1], values: [UInt64.max])) == "[18446744073709551615]")
        #expect(text(Tensor(dtype: .int64, shape: [1], values: [Int64.min])) == "[-9223372036854775808]")
        #expect(text(Tensor(dtype: .float32, shape: [0])) == "[]")
    }

    @Test func writerEscapesStringsAndWritesNumbersAsJSONEncoderDoes() throws {
        var writer = JSONWriter()
        writer.raw("[")
        writer.string("a\"b\\c\n\u{1}é")
        for value: Float in [1, -2.5, 0.1, 1e-7, 3.4028235e38] {
            writer.raw(",")
            writer.float(value)
        }
        writer.raw(",")
        writer.float(Float.nan)
        writer.raw(",")
        writer.float(-Float.infinity)
        writer.raw(",")
        writer.integer(Int64.min)
        writer.raw("]")
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"["a\"b\\c\n\u0001é",1,-2.5,0.1,1e-07,3.4028235e+38,"nan","-inf",-9223372036854775808]"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [Any])
        #expect(parsed[0] as? String == "a\"b\\c\n\u{1}é")
        #expect((parsed[4] as? NSNumber)?.floatValue == 1e-7)
    }
}
