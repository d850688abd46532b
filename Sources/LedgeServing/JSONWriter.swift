package import LedgeCore

/// Writes JSON bytes directly, for inference responses: Foundation's
/// `JSONEncoder` costs more than a small model's inference. Numbers are
/// written as `JSONEncoder` writes them (shortest round-trip text, no `.0`),
/// non-finite floats as the strings "inf", "-inf" and "nan".
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    package mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// One byte as it is (the caller keeps the JSON valid).
    package mutating func byte(_ value: UInt8) { bytes.append(value) }

    package mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw(#"\""#)
            case UInt8(ascii: "\\"): raw(#"\\"#)
            case 0x0A: raw(#"\n"#)
            case 0x0D: raw(#"\r"#)
            case 0x09: raw(#"\t"#)
            case 0..<0x20:
                raw(#"\u00"#)
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `value` in decimal, as `String(value)` writes it. Up to 64 bits the digits go straight into the
    /// bytes: 1,000 UINT8 values took 68–90 µs through a `String` each, 16–22 µs this way (`swiftc -O`).
    package mutating func integer(_ value: some BinaryInteger) {
        guard value.bitWidth <= 64 else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        // The digits, last first (UInt64.max has 20), then appended first first.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude != 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
    }

    package mutating func float(_ value: some BinaryFloatingPoint & CustomStringConvertible) {
        guard value.isFinite else {
            raw(value.isNaN ? #""nan""# : value < 0 ? #""-inf""# : #""inf""#)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    package mutating func integers(_ shape: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (i, value) in shape.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            integer(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The values of `tensor` as a flat JSON array, row-major.
    package mutating func values(of tensor: Tensor) {
        bytes.append(UInt8(ascii: "["))
        // Straight from the tensor's bytes: `Tensor.values(as:)` copies them into an array, generically
        // (from another module), which cost more than writing a small tensor's few numbers.
        func each<T: BitwiseCopyable>(_ type: T.Type, _ write: (inout JSONWriter, T) -> Void) {
            tensor.withUnsafeBytes { raw in
                for (i, value) in raw.bindMemory(to: T.self).enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    write(&self, value)
                }
            }
        }
        switch tensor.dtype {
        case .float32: each(Float.self) { $0.float($1) }
        case .float64: each(Double.self) { $0.float($1) }
        case .float16: each(Float16.self) { $0.float(Float($1)) }
        case .bool: each(UInt8.self) { w, v in v != 0 ? w.raw("true") : w.raw("false") }
        case .uint8: each(UInt8.self) { $0.integer($1) }
        case .int8: each(Int8.self) { $0.integer($1) }
        case .uint16: each(UInt16.self) { $0.integer($1) }
        case .int16: each(Int16.self) { $0.integer($1) }
        case .uint32: each(UInt32.self) { $0.integer($1) }
        case .int32: each(Int32.self) { $0.integer($1) }
        case .uint64: each(UInt64.self) { $0.integer($1) }
        case .int64: each(Int64.self) { $0.integer($1) }
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
