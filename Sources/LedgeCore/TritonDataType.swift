extension DType {
    /// Triton's `data_type` names of the types Ledge runs, in Triton's enum order.
    public static let tritonNames: [(name: String, dtype: DType)] = [
        ("TYPE_BOOL", .bool), ("TYPE_UINT8", .uint8), ("TYPE_UINT16", .uint16), ("TYPE_UINT32", .uint32),
        ("TYPE_UINT64", .uint64), ("TYPE_INT8", .int8), ("TYPE_INT16", .int16), ("TYPE_INT32", .int32),
        ("TYPE_INT64", .int64), ("TYPE_FP16", .float16), ("TYPE_FP32", .float32), ("TYPE_FP64", .float64),
    ]

    /// Triton's data types that Ledge does not run.
    public static let unsupportedTritonNames = ["TYPE_INVALID", "TYPE_STRING", "TYPE_BF16"]

    /// Triton's `data_type` name: `TYPE_FP32`, `TYPE_UINT8`, `TYPE_BOOL`, ….
    public var tritonName: String {
        Self.tritonNames.first { $0.dtype == self }?.name ?? "TYPE_INVALID"
    }

    /// The type Triton names `name` (`TYPE_FP32` → ``float32``), `nil` for other names.
    public init?(tritonName name: String) {
        guard let match = Self.tritonNames.first(where: { $0.name == name }) else { return nil }
        self = match.dtype
    }
}
