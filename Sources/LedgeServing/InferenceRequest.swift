#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// An inference request as a transport hands it to the serving core: the
/// V2 REST adapter builds it from JSON (and the binary tensor data
/// extension), the Seldon adapter from `data.ndarray`/`data.tensor`. Nothing
/// in it is checked yet: ``ServedModel/prepare(_:)`` checks it against the model.
public struct InferenceRequest: Sendable {
    /// One input tensor.
    public struct Input: Sendable {
        /// Where an input's values are.
        public enum Values: Sendable {
            /// JSON values (flat or nested arrays of numbers or booleans).
            case json(JSONValue)
            /// The next `size` bytes of ``InferenceRequest/binary`` (little-endian, row-major).
            case binary(size: Int)
            /// The tensor's own raw little-endian bytes, row-major, from the request's `field`
            /// (named in errors): gRPC's `raw_input_contents`, or its typed `contents` converted
            /// to bytes (`typed`: errors count values, not bytes).
            case raw(Data, field: String, typed: Bool = false)
            /// A registered shared memory region's bytes (Triton's shared-memory extension).
            case sharedMemory(SharedMemoryReference)
            /// Neither was given.
            case missing
        }

        public var name: String
        /// The datatype as the V2 protocol names it (`FP32`, `UINT8`, …).
        public var datatype: String
        public var shape: [Int]
        public var values: Values

        public init(name: String, datatype: String, shape: [Int], values: Values) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
            self.values = values
        }
    }

    /// One requested output.
    public struct Output: Sendable {
        public var name: String
        /// Send it as binary data; `nil`: as the request's ``binaryOutputs`` says.
        public var binary: Bool?
        /// The classification extension: the top `k` classes as `"score:index:label"` strings.
        public var classification: Int?
        /// Write the output into this registered shared memory instead of the response.
        public var sharedMemory: SharedMemoryReference?

        public init(name: String, binary: Bool? = nil, classification: Int? = nil, sharedMemory: SharedMemoryReference? = nil) {
            self.name = name
            self.binary = binary
            self.classification = classification
            self.sharedMemory = sharedMemory
        }
    }

    /// The client's request id, echoed in the response.
    public var id: String?
    public var inputs: [Input]
    /// The outputs to return, in this order; `nil`: every output in the model's order.
    public var outputs: [Output]?
    /// Send outputs as binary unless an output says otherwise.
    public var binaryOutputs: Bool
    /// The bytes inputs with ``Input/Values/binary(size:)`` take in order; `nil` when the
    /// request has no binary section (the binary tensor data extension's header is absent).
    public var binary: Data?
    /// The size of the request's JSON text: each JSON value took at least one byte of it, so
    /// no `.json` input may claim more values than this (no tensor is allocated past it).
    public var jsonByteCount: Int
    /// Triton's schedule-policy `timeout` parameter: the longest the request may wait for an
    /// instance, in microseconds (`nil` or 0: no timeout of its own), under the model's queue policy.
    public var timeout: Int?
    /// Triton's schedule-policy `priority` parameter: the request's priority level (1 the highest;
    /// `nil` or 0: the model's default) for a model with priority levels; ignored by others.
    public var priority: Int?

    public init(
        id: String? = nil, inputs: [Input], outputs: [Output]? = nil, binaryOutputs: Bool = false, binary: Data? = nil,
        jsonByteCount: Int, timeout: Int? = nil, priority: Int? = nil
    ) {
        self.id = id
        self.priority = priority
        self.timeout = timeout
        self.jsonByteCount = jsonByteCount
        self.inputs = inputs
        self.outputs = outputs
        self.binaryOutputs = binaryOutputs
        self.binary = binary
    }
}

extension InferenceRequest {
    /// The longest `timeout` parameter that counts: one hour (a longer one is none).
    public static let maxTimeoutMicroseconds = 3_600_000_000

    /// The request's `timeout` parameter checked: microseconds, 0 or more (0, or over ``maxTimeoutMicroseconds``: none).
    public static func timeout(_ value: Int?) throws -> Int? {
        guard let value else { return nil }
        guard value >= 0 else {
            throw LedgeError.invalidInput("parameters.timeout is \(value): expected the microseconds the request may wait, 0 or more")
        }
        return value > maxTimeoutMicroseconds ? nil : value
    }

    /// The request's `priority` parameter checked: 0 or more (0: the model's default level).
    public static func priority(_ value: Int?) throws -> Int? {
        guard let value else { return nil }
        guard value >= 0 else {
            throw LedgeError.invalidInput("parameters.priority is \(value): expected a priority level, 1 the highest (0: the model's default)")
        }
        return value
    }
}

/// An inference request checked against its model: tensors in the model's
/// input order, and which outputs to send how.
public struct PreparedInference: Sendable {
    /// One output to send.
    public struct Output: Sendable {
        /// Index into the model's outputs.
        public var index: Int
        public var binary: Bool
        /// Top-k classification instead of the tensor.
        public var classification: Int?
        /// Where to write it instead of the response.
        public var sharedMemory: SharedMemorySlice? = nil
    }

    public var id: String?
    public var inputs: [Tensor]
    public var outputs: [Output]
    /// Time spent decoding and preprocessing encoded images given as an input (statistics'
    /// `compute_input`); `nil` for tensors.
    public var imageInput: Duration? = nil
    /// Batch items: the first dimension of the first input (1 without one).
    public var items: Int { inputs.first?.shape.first ?? 1 }
}

/// The outputs of one inference, ready for a transport to encode.
public struct InferenceResponse: Sendable {
    /// One output.
    public struct Output: Sendable {
        /// What an output holds.
        public enum Content: Sendable {
            case tensor(Tensor)
            /// `BYTES` elements (the classification extension), with their shape.
            case strings(shape: [Int], [String])
        }

        public var name: String
        public var content: Content
        public var binary: Bool
        /// Written to this shared memory (`byteSize`: the bytes written), not sent in the response.
        public var sharedMemory: SharedMemoryReference? = nil

        /// The V2 datatype name.
        public var datatype: String {
            switch content {
            case .tensor(let tensor): return tensor.dtype.v2Name
            case .strings: return "BYTES"
            }
        }

        public var shape: [Int] {
            switch content {
            case .tensor(let tensor): return tensor.shape
            case .strings(let shape, _): return shape
            }
        }
    }

    public var id: String?
    public var modelName: String
    public var modelVersion: String
    public var outputs: [Output]
}
