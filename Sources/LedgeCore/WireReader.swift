/// Reads protobuf fields from a range of bytes, never past it (ONNX models' initializers and
/// external graphs, a gRPC status's details).
package struct WireReader {
    package enum Value {
        case varint(UInt64)
        case bytes(Range<Int>)
        case fixed
    }

    package let bytes: UnsafeRawBufferPointer
    package var offset: Int
    package let end: Int

    package init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    package var atEnd: Bool { offset >= end }

    package mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The next field's number and value; `nil` when malformed (groups included: ONNX and OTLP have none).
    package mutating func next() -> (number: UInt64, value: Value)? {
        guard let key = varint() else { return nil }
        let number = key >> 3
        switch key & 7 {
        case 0:
            return varint().map { (number, .varint($0)) }
        case 1, 5:
            let width = key & 7 == 1 ? 8 : 4
            guard end - offset >= width else { return nil }
            offset += width
            return (number, .fixed)
        case 2:
            guard let length = varint(), length <= UInt64(end - offset) else { return nil }
            let range = offset..<offset + Int(length)
            offset = range.upperBound
            return (number, .bytes(range))
        default:
            return nil
        }
    }
}
