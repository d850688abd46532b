/// The one checked path from a declared shape to a byte count.
///
/// A shape a client declares is untrusted: its product can overflow `Int`
/// (Swift traps) or name terabytes. Every way a tensor arrives (V2 JSON, the
/// binary tensor extension, images, and the transports to come) computes its
/// sizes here, with overflow checks, bounded by what the request can carry,
/// before anything is allocated.
public enum ShapeArithmetic {
    /// The largest dimension a request may declare (runtimes keep dimensions in 32 bits).
    public static let maximumDimension = Int(Int32.max)

    /// The product of `shape`'s dimensions, `nil` when a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        // A zero anywhere makes the product 0, however large the dimensions before it.
        if shape.contains(0) { return 0 }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The bytes a dense tensor of `dtype` and `shape` takes, `nil` on a negative dimension or overflow.
    public static func byteCount(_ shape: [Int], dtype: DType) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// Element and byte count of input `name` declared as `shape` of `dtype`,
    /// checked against `limit`, the most bytes the request can supply for it.
    ///
    /// Throws an ``LedgeError/Code/invalidInput`` error naming the input when a
    /// dimension is negative, the product overflows, a dimension exceeds
    /// ``maximumDimension`` (even in an empty tensor), or the tensor needs more
    /// than `limit` bytes.
    public static func check(input name: String, shape: [Int], dtype: DType, limit: Int) throws -> (count: Int, bytes: Int) {
        // Only a refusal's message shows the shape (built for every request, it cost more than the checks).
        var shown: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw LedgeError.invalidInput("input '\(name)': shape \(shown) has a negative dimension: expected sizes of 0 or more")
        }
        guard let count = elementCount(shape), let bytes = byteCount(shape, dtype: dtype) else {
            throw LedgeError.invalidInput(
                "input '\(name)': shape \(shown) has more elements than a tensor can hold: the product of its dimensions overflows 64 bits")
        }
        if let index = shape.firstIndex(where: { $0 > maximumDimension }) {
            // Runtimes index dimensions with 32 bits (TFLite, XNNPACK): a larger one would be clamped or overflow there.
            throw LedgeError.invalidInput(
                "input '\(name)': shape \(shown) has dimension \(index) of \(shape[index]): expected at most \(maximumDimension)")
        }
        guard bytes <= limit else {
            throw LedgeError.invalidInput(
                "input '\(name)': shape \(shown) of \(dtype.rawValue) needs \(bytes) bytes, more than the request can carry (at most \(limit))")
        }
        return (count, bytes)
    }
}
