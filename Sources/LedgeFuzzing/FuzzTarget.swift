/// The libFuzzer targets of `Fuzz/` (`make fuzz`), whose bodies live here so that
/// `make test` replays every seed and kept crasher through the same code
/// (`FuzzReplayTests`). Each body takes the fuzzer's bytes and either returns,
/// or throws a ``FuzzFailure`` naming the invariant that broke; a trap is a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ShapeArithmetic` against an exact product computed independently.
    case shape = "FuzzShape"
    /// The strict JSON parser, V2 request decoding, the binary extension's split and
    /// the checks against a model, then the response body.
    case request = "FuzzRequest"
    /// Raw bytes through the HTTP/1 pipeline `ledge serve` builds, with a stand-in app.
    case framing = "FuzzFraming"
    /// The `multipart/form-data` parser, as `classify` and the Seldon routes use it.
    case multipart = "FuzzMultipart"
    /// The TFLite flatbuffer reader and validator, metadata and embedded labels.
    case tflite = "FuzzTFLite"
    /// Format detection and the ONNX protobuf summary.
    case onnx = "FuzzONNX"
    /// JPEG/PNG sniffing, EXIF orientation and decoding under small limits.
    case image = "FuzzImage"
    /// A serialized `ModelInferRequest` through the gRPC service's decoding, the checks
    /// against a model, then the `ModelInferResponse`.
    case grpc = "FuzzGRPC"
    /// A model folder's `config.pbtxt`: the text parser, the config decoder and completion.
    case config = "FuzzConfig"
    /// A Seldon Core v1 prediction (JSON, or a form's `json` field): payloads, tensors, the answer.
    case seldon = "FuzzSeldon"

    /// Runs the target's body on `bytes`.
    public func run(_ bytes: UnsafeRawBufferPointer) throws {
        let input = bytes.bindMemory(to: UInt8.self)
        switch self {
        case .shape: try ShapeTarget.run(input)
        case .request: try RequestTarget.run(input)
        case .framing: try FramingTarget.run(input)
        case .multipart: try MultipartTarget.run(input)
        case .tflite: try TFLiteTarget.run(input)
        case .onnx: try ONNXTarget.run(input)
        case .image: try ImageTarget.run(input)
        case .grpc: try GRPCRequestTarget.run(input)
        case .config: try ConfigTarget.run(input)
        case .seldon: try SeldonTarget.run(input)
        }
    }

    /// Runs the target's body on `bytes`.
    public func run(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try run($0) }
    }
}

/// An invariant a fuzz target checks that did not hold: what broke, and the input (shortened).
public struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    public var target: FuzzTarget
    public var what: String

    public init(_ target: FuzzTarget, _ what: String) {
        self.target = target
        self.what = what
    }

    public var description: String { "\(target.rawValue) invariant: \(what)" }
}
