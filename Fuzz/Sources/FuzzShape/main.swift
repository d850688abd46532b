// FuzzShape: ShapeArithmetic against an independent, overflow-exact model of it.
//
// Input layout (missing bytes read as 0):
//   byte 0      dtype index (mod DType.allCases.count)
//   byte 1      low 4 bits: rank (mod 9, so 0...8); bit 4: small dims (one signed byte each)
//   bytes 2-9   limit, Int64 little-endian (negative and huge values included)
//   then        rank dims: Int64 little-endian, or one signed byte each in small mode
import CFuzzDriver
import Glibc
import LedgeCore

private struct Reader {
    let data: UnsafeBufferPointer<UInt8>
    var index = 0

    mutating func byte() -> UInt8 {
        defer { index += 1 }
        return index < data.count ? data[index] : 0
    }

    mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(byte()) << UInt64(shift) }
        return Int64(bitPattern: value)
    }
}

/// The exact product of non-negative `dims` when it fits in `Int`, else nil:
/// a zero anywhere makes it 0 whatever the other factors are.
private func exactProduct(_ dims: [Int]) -> Int? {
    if dims.contains(0) { return 0 }
    var product: UInt = 1
    for dim in dims {
        let (high, low) = product.multipliedFullWidth(by: UInt(dim))
        guard high == 0, low <= UInt(Int.max) else { return nil }
        product = low
    }
    return Int(product)
}

private func fail(_ what: String, _ shape: [Int], _ dtype: DType, _ limit: Int) -> Never {
    fatalError("FuzzShape invariant: \(what) (shape \(shape), dtype \(dtype), limit \(limit))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = Reader(data: UnsafeBufferPointer(start: data, count: size))
    let dtype = DType.allCases[Int(reader.byte()) % DType.allCases.count]
    let flags = reader.byte()
    let rank = Int(flags & 0x0F) % 9
    let small = flags & 0x10 != 0
    let limit = Int(reader.int64())
    var shape: [Int] = []
    for _ in 0..<rank {
        shape.append(small ? Int(Int8(bitPattern: reader.byte())) : Int(reader.int64()))
    }

    let negative = shape.contains { $0 < 0 }
    let product = negative ? nil : exactProduct(shape)
    let expectedBytes: Int? = product.flatMap { count in
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    let count = ShapeArithmetic.elementCount(shape)
    if count != product {
        fail("elementCount is \(String(describing: count)), exact product is \(String(describing: product))", shape, dtype, limit)
    }
    let bytes = ShapeArithmetic.byteCount(shape, dtype: dtype)
    if bytes != expectedBytes {
        fail("byteCount is \(String(describing: bytes)), expected \(String(describing: expectedBytes))", shape, dtype, limit)
    }

    do {
        let checked = try ShapeArithmetic.check(input: "x", shape: shape, dtype: dtype, limit: limit)
        if negative { fail("check accepted a negative dimension", shape, dtype, limit) }
        if checked.count != product { fail("check count \(checked.count) != exact product \(String(describing: product))", shape, dtype, limit) }
        if checked.bytes != checked.count * dtype.byteSize { fail("check bytes \(checked.bytes) != count * \(dtype.byteSize)", shape, dtype, limit) }
        if checked.bytes > limit { fail("check bytes \(checked.bytes) > limit", shape, dtype, limit) }
        if checked.bytes < 0 || checked.count < 0 { fail("check returned a negative size", shape, dtype, limit) }
    } catch let error as LedgeError {
        if error.code != .invalidInput { fail("check threw code \(error.code)", shape, dtype, limit) }
        if error.message.contains("\n") || error.message.contains("\r") || error.message.isEmpty {
            fail("check's message is not one line: \(error.message.debugDescription)", shape, dtype, limit)
        }
        // It throws only when it must: a negative dimension, an overflow, a dimension beyond
        // ShapeArithmetic.maximumDimension, or more than the limit.
        let mustThrow =
            negative || expectedBytes == nil || expectedBytes! > limit
            || shape.contains { $0 > ShapeArithmetic.maximumDimension }
        if !mustThrow { fail("check threw for a valid shape within the limit: \(error.message)", shape, dtype, limit) }
    } catch {
        fail("check threw a non-LedgeError: \(error)", shape, dtype, limit)
    }
    return 0
}

exit(ledge_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in fuzz(data!, size) })
