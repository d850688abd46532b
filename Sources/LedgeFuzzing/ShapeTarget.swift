internal import LedgeCore

/// FuzzShape: `ShapeArithmetic` against an independent, overflow-exact model of it.
///
/// Input layout (missing bytes read as 0):
///   byte 0      dtype index (mod `DType.allCases.count`)
///   byte 1      low 4 bits: rank (mod 9, so 0...8); bit 4: small dims (one signed byte each)
///   bytes 2-9   limit, Int64 little-endian (negative and huge values included)
///   then        rank dims: Int64 little-endian, or one signed byte each in small mode
enum ShapeTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        var reader = FuzzReader(input)
        let dtype = DType.allCases[Int(reader.byte()) % DType.allCases.count]
        let flags = reader.byte()
        let rank = Int(flags & 0x0F) % 9
        let small = flags & 0x10 != 0
        let limit = Int(reader.int64())
        var shape: [Int] = []
        for _ in 0..<rank {
            shape.append(small ? Int(Int8(bitPattern: reader.byte())) : Int(reader.int64()))
        }
        func fail(_ what: String) -> FuzzFailure {
            FuzzFailure(.shape, "\(what) (shape \(shape), dtype \(dtype), limit \(limit))")
        }

        let negative = shape.contains { $0 < 0 }
        let product = negative ? nil : exactProduct(shape)
        let expectedBytes: Int? = product.flatMap { count in
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            return overflow ? nil : bytes
        }
        let count = ShapeArithmetic.elementCount(shape)
        if count != product {
            throw fail("elementCount is \(String(describing: count)), exact product is \(String(describing: product))")
        }
        let bytes = ShapeArithmetic.byteCount(shape, dtype: dtype)
        if bytes != expectedBytes { throw fail("byteCount is \(String(describing: bytes)), expected \(String(describing: expectedBytes))") }

        let checked: (count: Int, bytes: Int)
        do {
            checked = try ShapeArithmetic.check(input: "x", shape: shape, dtype: dtype, limit: limit)
        } catch let error as LedgeError {
            if error.code != .invalidInput { throw fail("check threw code \(error.code)") }
            if error.message.isEmpty || error.message.contains(where: \.isNewline) {
                throw fail("check's message is not one line: \(error.message.debugDescription)")
            }
            // It throws only when it must: a negative dimension, an overflow, a dimension beyond
            // ShapeArithmetic.maximumDimension, or more than the limit.
            let mustThrow =
                negative || expectedBytes.map { $0 > limit } ?? true || shape.contains { $0 > ShapeArithmetic.maximumDimension }
            if !mustThrow { throw fail("check threw for a valid shape within the limit: \(error.message)") }
            return
        } catch {
            throw fail("check threw a non-LedgeError: \(error)")
        }
        if negative { throw fail("check accepted a negative dimension") }
        if checked.count != product { throw fail("check count \(checked.count) != exact product \(String(describing: product))") }
        if checked.bytes != checked.count * dtype.byteSize { throw fail("check bytes \(checked.bytes) != count * \(dtype.byteSize)") }
        if checked.bytes > limit { throw fail("check bytes \(checked.bytes) > limit") }
        if checked.bytes < 0 || checked.count < 0 { throw fail("check returned a negative size") }
    }

    /// The exact product of non-negative `dims` when it fits in `Int`, else nil:
    /// a zero anywhere makes it 0 whatever the other factors are.
    private static func exactProduct(_ dims: [Int]) -> Int? {
        if dims.contains(0) { return 0 }
        var product: UInt = 1
        for dim in dims {
            let (high, low) = product.multipliedFullWidth(by: UInt(dim))
            guard high == 0, low <= UInt(Int.max) else { return nil }
            product = low
        }
        return Int(product)
    }
}
