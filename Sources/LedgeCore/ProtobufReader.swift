#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

/// Ledge's one protobuf wire-format walker, bounds-checked over a byte buffer:
/// it tells an ONNX file from noise (``ModelFile``) and reads the ONNX summary.
///
/// Every read checks the end of the enclosing message; malformed or truncated
/// input stops the walk, never crashes.
package struct ProtobufReader {
    /// One field: its number and, by wire type, a varint value or a byte range.
    package struct Field {
        package var number: Int
        package var wireType: UInt8
        package var varint: UInt64
        package var range: Range<Int>
    }

    /// Where a walk stopped: the offset of the field that is malformed or runs past the end.
    package struct Malformed: Error {
        package var offset: Int
    }

    package let bytes: UnsafeBufferPointer<UInt8>

    package init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The field numbers at the top level of the message in `data`, walked to its end.
    package static func topLevelFields(_ data: Data) -> Result<Set<Int>, Malformed> {
        data.withUnsafeBytes { raw in
            let reader = ProtobufReader(bytes: raw.bindMemory(to: UInt8.self))
            var seen = Set<Int>()
            if let offset = reader.walk(
                0..<reader.bytes.count,
                {
                    seen.insert($0.number); return true
                })
            {
                return .failure(Malformed(offset: offset))
            }
            return .success(seen)
        }
    }

    /// Calls `body` for each field of the message in `range`; `false` when the
    /// message is malformed (the walk stops there) or `body` returns `false`.
    package func forEachField(in range: Range<Int>, _ body: (Field) -> Bool) -> Bool {
        walk(range, body) == nil
    }

    /// The UTF-8 text in `range`.
    package func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Calls `body` for each field in `range`; `nil` at the end of the range,
    /// else the offset of the field where the walk stopped.
    private func walk(_ range: Range<Int>, _ body: (Field) -> Bool) -> Int? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return range.lowerBound }
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let start = i
            guard let key = varint(&i, end: end), key >> 3 > 0, key >> 3 <= UInt64(Int32.max) else { return start }
            var field = Field(number: Int(key >> 3), wireType: UInt8(key & 7), varint: 0, range: i..<i)
            switch field.wireType {
            case 0:
                guard let value = varint(&i, end: end) else { return start }
                field.varint = value
            case 1, 5:
                let size = field.wireType == 1 ? 8 : 4
                guard end - i >= size else { return start }
                field.range = i..<(i + size)
                i += size
            case 2:
                guard let length = varint(&i, end: end), length <= UInt64(end - i) else { return start }
                field.range = i..<(i + Int(length))
                i += Int(length)
            default:
                return start
            }
            guard body(field) else { return start }
        }
        return nil
    }

    /// Reads a base-128 varint at `i` before `end`, advancing `i`; `nil` when malformed or cut short.
    private func varint(_ i: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while i < end, shift < 64 {
            let byte = bytes[i]
            i += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
