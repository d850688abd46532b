/// Joining tensors into one batch along the first dimension and cutting a
/// batch back into pieces: what a dynamic batcher does to requests' inputs
/// and to the model's outputs.
extension Tensor {
    /// The tensors stacked along dimension 0, in order: one tensor whose first
    /// dimension is the sum of theirs.
    ///
    /// Every tensor must have the same dtype and the same dimensions after the
    /// first; otherwise throws ``LedgeError/Code/invalidInput`` naming the
    /// tensor at fault.
    public static func concatenating(_ tensors: [Tensor]) throws -> Tensor {
        guard let first = tensors.first else {
            throw LedgeError.invalidInput("cannot concatenate no tensors: expected at least one")
        }
        guard !first.shape.isEmpty else {
            throw LedgeError.invalidInput("cannot concatenate tensor 0: it is a scalar, expected at least one dimension")
        }
        let trailing = first.shape.dropFirst()
        var rows = 0
        for (index, tensor) in tensors.enumerated() {
            guard tensor.dtype == first.dtype else {
                throw LedgeError.invalidInput(
                    "cannot concatenate tensor \(index): dtype \(tensor.dtype.rawValue), expected \(first.dtype.rawValue) as tensor 0")
            }
            guard tensor.shape.count == first.shape.count, tensor.shape.dropFirst() == trailing else {
                throw LedgeError.invalidInput(
                    "cannot concatenate tensor \(index): shape \(describe(tensor.shape)), expected \(describe(["n"] + trailing.map(String.init)))"
                )
            }
            rows += tensor.shape[0]
        }
        if tensors.count == 1 { return first }
        let result = Tensor(dtype: first.dtype, shape: [rows] + trailing)
        let target = result.storage.baseAddress
        var offset = 0
        for tensor in tensors {
            let count = tensor.byteCount
            if count > 0 { (target + offset).copyMemory(from: tensor.storage.baseAddress, byteCount: count) }
            offset += count
        }
        return result
    }

    /// The tensor cut along dimension 0 into pieces of `counts` rows each, in
    /// order; `counts` must sum to the first dimension.
    ///
    /// Throws ``LedgeError/Code/invalidInput`` for a scalar, a negative count
    /// or counts that do not sum to the first dimension.
    public func splitting(counts: [Int]) throws -> [Tensor] {
        guard let rows = shape.first else {
            throw LedgeError.invalidInput("cannot split a scalar: expected at least one dimension")
        }
        if let negative = counts.first(where: { $0 < 0 }) {
            throw LedgeError.invalidInput("cannot split shape \(Self.describe(shape)) into \(negative) rows: expected counts of at least 0")
        }
        let total = counts.reduce(0, +)
        guard total == rows else {
            throw LedgeError.invalidInput(
                "cannot split shape \(Self.describe(shape)) into counts \(counts): they sum to \(total), expected \(rows)")
        }
        if counts.count == 1 { return [self] }
        let trailing = Array(shape.dropFirst())
        let rowBytes = Self.elementCount(trailing) * dtype.byteSize
        var offset = 0
        return counts.map { count in
            let piece = Tensor(dtype: dtype, shape: [count] + trailing)
            let bytes = count * rowBytes
            if bytes > 0 { piece.storage.baseAddress.copyMemory(from: storage.baseAddress + offset, byteCount: bytes) }
            offset += bytes
            return piece
        }
    }

    private static func describe(_ shape: [Int]) -> String { describe(shape.map(String.init)) }

    private static func describe(_ dimensions: [String]) -> String { "[" + dimensions.joined(separator: ", ") + "]" }
}
