public import LedgeCore
internal import LedgeVision
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Seeded random input tensors for a model, so every bench run feeds the same data for a seed.
///
/// Values lie in each input's dtype range: `uint8` 0…255, `int8` −128…127,
/// `uint16`/`int16` their full range, other integers small non-negative values
/// 0…9 (indices, lengths, token ids), `bool` 0 or 1, floats in [−1, 1) (a
/// normalized image's range).
///
/// Concrete shapes: a dynamic first dimension takes the batch size; the dynamic
/// height/width of an image input (`[N,H,W,C]` or `[N,C,H,W]` with 1 or 3 channels)
/// take `inputSize`, else the size of the model's image recipe (a usage error naming the
/// input without either; a recipe also fills dynamic channels, NCHW); any other dynamic
/// dimension is 1.
public enum InputFactory {
    /// One random tensor per input of `specs`, for a batch of `batch`.
    public static func random(
        specs: [TensorSpec], batch: Int, inputSize: ImageSize?, seed: UInt64, recipe: ImageRecipe? = nil
    ) throws -> [Tensor] {
        let shapes = try specs.map { try shape(of: $0, batch: batch, inputSize: inputSize, recipe: recipe) }
        try checkFits(zip(specs, shapes).map { ($0.dtype, $1) }, batch: batch)
        var generator = SplitMix64(seed: seed)
        return zip(specs, shapes).map { spec, shape in
            var tensor = Tensor(dtype: spec.dtype, shape: shape)
            fill(&tensor, using: &generator)
            return tensor
        }
    }

    /// Throws a usage error when tensors of these shapes would take more than half the machine's
    /// memory (a batch or input size too large to allocate: a clear error, not an out-of-memory crash).
    static func checkFits(_ tensors: [(dtype: DType, shape: [Int])], batch: Int) throws {
        let memory = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
        var total = 0
        for (dtype, shape) in tensors {
            let (sum, overflow) = total.addingReportingOverflow(ShapeArithmetic.byteCount(shape, dtype: dtype) ?? .max)
            total = overflow ? .max : sum
        }
        guard memory > 0, total > memory / 2 else { return }
        func gb(_ bytes: Int) -> String { bytes == .max ? "more than 9 EB" : cFormat("%.1f GB", Double(bytes) / 1e9) }
        throw LedgeError.usage(
            "--batch \(batch): the input tensors would take \(gb(total)), more than half of this machine's \(gb(memory)) of memory: "
                + "expected a smaller --batch or --input-size")
    }

    /// The concrete shape `spec` takes for a batch of `batch` (see the type's documentation).
    public static func shape(of spec: TensorSpec, batch: Int, inputSize: ImageSize?, recipe: ImageRecipe? = nil) throws -> [Int] {
        var shape = spec.shape
        guard !shape.isEmpty else { return shape }
        // An image input of a model with a recipe: the shape its photos are packed in (the
        // preprocessor fills the channels and size the input leaves dynamic).
        if let recipe, shape.count == 4, let image = try? ImagePreprocessor(spec: spec, inputSize: inputSize, recipe: recipe) {
            return image.shape(batch: shape[0] < 0 ? batch : shape[0])
        }
        if shape[0] < 0 { shape[0] = batch }
        if shape.count == 4 {
            let isChannels = { (d: Int) in d == 1 || d == 3 }
            let hw: (Int, Int)? = isChannels(shape[3]) ? (1, 2) : isChannels(shape[1]) ? (2, 3) : nil
            if let (h, w) = hw, shape[h] < 0 || shape[w] < 0 {
                guard let inputSize else {
                    throw LedgeError.usage(
                        "model input '\(spec.name)' has dynamic height/width \(spec.shapeDescription); pass --input-size HxW")
                }
                guard (shape[h] < 0 || shape[h] == inputSize.height) && (shape[w] < 0 || shape[w] == inputSize.width) else {
                    throw LedgeError.usage(
                        "--input-size \(inputSize.height)x\(inputSize.width) does not fit model input '\(spec.name)' with shape \(spec.shapeDescription)"
                    )
                }
                shape[h] = inputSize.height
                shape[w] = inputSize.width
            }
        }
        return shape.map { $0 < 0 ? 1 : $0 }
    }

    /// The batch size of `specs`' first input when fixed, `nil` when every input's first dimension is dynamic.
    public static func fixedBatch(of specs: [TensorSpec]) -> (batch: Int, note: String)? {
        guard let fixed = specs.first(where: { ($0.shape.first ?? 1) >= 0 }) else { return nil }
        guard let first = fixed.shape.first else {
            return (1, "fixed batch 1: input '\(fixed.name)' is a scalar")
        }
        return (first, "fixed batch \(first): input '\(fixed.name)' has shape \(fixed.shapeDescription)")
    }

    static func fill(_ tensor: inout Tensor, using g: inout SplitMix64) {
        let count = tensor.count
        let dtype = tensor.dtype
        tensor.withUnsafeMutableBytes { raw in
            switch dtype {
            case .bool: store(raw, count, UInt8.self) { UInt8(g.next() & 1) }
            case .uint8: store(raw, count, UInt8.self) { UInt8(truncatingIfNeeded: g.next()) }
            case .int8: store(raw, count, Int8.self) { Int8(truncatingIfNeeded: g.next()) }
            case .uint16: store(raw, count, UInt16.self) { UInt16(truncatingIfNeeded: g.next()) }
            case .int16: store(raw, count, Int16.self) { Int16(truncatingIfNeeded: g.next()) }
            case .uint32: store(raw, count, UInt32.self) { UInt32(g.next() % 10) }
            case .int32: store(raw, count, Int32.self) { Int32(g.next() % 10) }
            case .uint64: store(raw, count, UInt64.self) { g.next() % 10 }
            case .int64: store(raw, count, Int64.self) { Int64(g.next() % 10) }
            case .float32: store(raw, count, Float.self) { g.unit() }
            case .float64: store(raw, count, Double.self) { Double(g.unit()) }
            case .float16: store(raw, count, UInt16.self) { halfBits(g.unit()) }
            }
        }
    }

    private static func store<T: BitwiseCopyable>(_ raw: UnsafeMutableRawBufferPointer, _ count: Int, _: T.Type, _ value: () -> T) {
        let typed = raw.bindMemory(to: T.self)
        for i in 0..<min(count, typed.count) { typed[i] = value() }
    }

    /// IEEE half-precision bits of `x` (|x| < 1, so no overflow; subnormals flush to zero).
    static func halfBits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff) - 127 + 15
        guard exponent > 0 else { return sign }
        let mantissa = UInt16((bits >> 13) & 0x3ff)
        return sign | UInt16(min(exponent, 30)) << 10 | mantissa
    }
}

/// SplitMix64: a small, fast, seedable generator (the same sequence for a seed on every machine).
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float in [−1, 1) with 24 random bits.
    mutating func unit() -> Float {
        Float(next() >> 40) / Float(1 << 23) - 1
    }
}
