/// A dense, row-major tensor with 64-byte aligned storage.
///
/// `Tensor` is a value type: copies share storage until one of them writes.
/// Outside Ledge the bytes are reached only through ``withUnsafeBytes(_:)``
/// and ``withUnsafeMutableBytes(_:)``, which copies shared storage first.
public struct Tensor: Sendable {
    public private(set) var dtype: DType
    public private(set) var shape: [Int]
    /// The bytes, for backends in this package that hand them to a runtime to read.
    package private(set) var storage: TensorStorage

    /// A zero-filled tensor.
    public init(dtype: DType, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "a tensor's shape has no dynamic dimension")
        self.dtype = dtype
        self.shape = shape
        self.storage = TensorStorage(byteCount: Self.elementCount(shape) * dtype.byteSize)
    }

    /// A tensor over existing storage, which must hold at least the bytes the shape needs.
    public init(dtype: DType, shape: [Int], storage: TensorStorage) {
        precondition(storage.byteCount >= Self.elementCount(shape) * dtype.byteSize, "storage too small for shape")
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// A tensor holding a copy of `values`; `T` must match `dtype`'s size.
    public init<T: BitwiseCopyable>(dtype: DType, shape: [Int], values: [T]) {
        precondition(MemoryLayout<T>.stride == dtype.byteSize, "element type does not match \(dtype)")
        precondition(values.count == Self.elementCount(shape), "\(values.count) values do not fill shape \(shape)")
        self.init(dtype: dtype, shape: shape)
        let target = storage.baseAddress
        values.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { target.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    /// The number of elements: the product of the shape.
    public var count: Int { Self.elementCount(shape) }
    /// The number of bytes of data: ``count`` × the element size.
    public var byteCount: Int { count * dtype.byteSize }

    /// The product of a shape's dimensions (1 for a scalar).
    public static func elementCount(_ shape: [Int]) -> Int {
        // Shapes from outside are checked by ShapeArithmetic first; here a bad one is a bug.
        guard let count = ShapeArithmetic.elementCount(shape) else { preconditionFailure("shape \(shape) has no element count") }
        return count
    }

    /// Reads the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.baseAddress, count: byteCount))
    }

    /// Writes the bytes, copying shared storage first.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableRawBufferPointer(start: storage.baseAddress, count: byteCount))
    }

    /// The elements as an array of `T`, whose size must match the dtype.
    public func values<T: BitwiseCopyable>(as type: T.Type = T.self) -> [T] {
        precondition(MemoryLayout<T>.stride == dtype.byteSize, "element type does not match \(dtype)")
        return withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }

    /// The same data seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Self.elementCount(newShape) == count, "reshape changes the element count")
        return Tensor(dtype: dtype, shape: newShape, storage: storage)
    }

    /// The elements converted to `Float`, dequantized with `quantization` when given.
    ///
    /// Integer and boolean types convert by value; `float16` widens.
    public func floatValues(dequantizing quantization: Quantization? = nil) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        withUnsafeBytes { raw in
            func fill<T>(_ t: T.Type, _ convert: (T) -> Float) {
                let typed = raw.bindMemory(to: T.self)
                for i in 0..<out.count { out[i] = convert(typed[i]) }
            }
            switch dtype {
            case .bool, .uint8: fill(UInt8.self) { Float($0) }
            case .int8: fill(Int8.self) { Float($0) }
            case .uint16: fill(UInt16.self) { Float($0) }
            case .int16: fill(Int16.self) { Float($0) }
            case .uint32: fill(UInt32.self) { Float($0) }
            case .int32: fill(Int32.self) { Float($0) }
            case .uint64: fill(UInt64.self) { Float($0) }
            case .int64: fill(Int64.self) { Float($0) }
            case .float16: fill(UInt16.self) { Float(Float16(bitPattern: $0)) }
            case .float32: fill(Float.self) { $0 }
            case .float64: fill(Double.self) { Float($0) }
            }
        }
        if let q = quantization, !dtype.isFloatingPoint {
            if q.scales.count <= 1 {
                let s = q.scale, z = Float(q.zeroPoint)
                for i in 0..<out.count { out[i] = s * (out[i] - z) }
            } else if let axis = q.axis, axis < shape.count {
                let inner = shape[(axis + 1)...].reduce(1, *)
                let channels = shape[axis]
                for i in 0..<out.count {
                    let c = (i / inner) % channels
                    out[i] = q.scales[c] * (out[i] - Float(q.zeroPoints[min(c, q.zeroPoints.count - 1)]))
                }
            }
        }
        return out
    }
}
