internal import LedgeCore

/// A bounds-checked reader of protobuf wire format over a byte buffer.
///
/// Every read checks the end of the enclosing message; malformed or truncated
/// input makes the walk return `false`, never crash.
struct ProtobufReader {
    /// One field: its number and, by wire type, a varint value or a byte range.
    struct Field {
        var number: Int
        var wireType: UInt8
        var varint: UInt64
        var range: Range<Int>
    }

    let bytes: UnsafeBufferPointer<UInt8>

    /// Calls `body` for each field of the message in `range`; `false` when the
    /// message is malformed (the walk stops there) or `body` returns `false`.
    func forEachField(in range: Range<Int>, _ body: (Field) -> Bool) -> Bool {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            guard let key = varint(&i, end: end), key >> 3 > 0, key >> 3 <= UInt64(Int32.max) else { return false }
            var field = Field(number: Int(key >> 3), wireType: UInt8(key & 7), varint: 0, range: i..<i)
            switch field.wireType {
            case 0:
                guard let value = varint(&i, end: end) else { return false }
                field.varint = value
            case 1, 5:
                let size = field.wireType == 1 ? 8 : 4
                guard end - i >= size else { return false }
                field.range = i..<(i + size)
                i += size
            case 2:
                guard let length = varint(&i, end: end), length <= UInt64(end - i) else { return false }
                field.range = i..<(i + Int(length))
                i += Int(length)
            default:
                return false
            }
            guard body(field) else { return false }
        }
        return true
    }

    /// The UTF-8 text in `range`.
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private func varint(_ i: inout Int, end: Int) -> UInt64? {
        ProtobufScan.readVarint(bytes, &i, end: end)
    }
}
