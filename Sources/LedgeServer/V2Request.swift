internal import LedgeServing

/// `parameters` of a request, an input or an output (the keys Ledge reads).
struct V2Parameters: Sendable {
    /// Input: the size of this input's bytes in the binary section.
    var binary_data_size: Int?
    /// Output: send this output as binary.
    var binary_data: Bool?
    /// Request: send every output as binary unless the output says otherwise.
    var binary_data_output: Bool?
    /// Output: the classification extension's top-k count.
    var classification: Int?
    /// Input or output: the shared-memory extension's registered region, the tensor's
    /// bytes in it and where they start (0 when absent).
    var shared_memory_region: String?
    var shared_memory_byte_size: Int?
    var shared_memory_offset: Int?
    /// Request: Triton's schedule-policy timeout, microseconds a request may wait for an instance.
    var timeout: Int?
    /// Request: Triton's schedule-policy priority level (1 the highest; 0: the model's default).
    var priority: Int?
    /// Input: MLServer's codec name; `"base64"` says each `BYTES` string of `data` is base64 (encoded images in JSON).
    var content_type: String?

    /// The shared memory reference these parameters give for `tensor` (`input 'x'`), `nil` without one.
    func sharedMemory(of tensor: String) throws -> SharedMemoryReference? {
        try SharedMemoryReference.parameters(
            region: shared_memory_region, byteSize: shared_memory_byte_size, offset: shared_memory_offset, of: tensor)
    }
}

/// One input tensor of an inference request.
struct V2RequestInput: Sendable {
    var name: String
    var shape: [Int]
    var datatype: String
    var parameters: V2Parameters?
    var data: JSONValue?
}

/// One requested output.
struct V2RequestOutput: Sendable {
    var name: String
    var parameters: V2Parameters?
}

/// The JSON of `POST /v2/models/{m}/infer` (read by ``init(json:)``).
struct V2InferenceRequest: Sendable {
    var id: String?
    var parameters: V2Parameters?
    var inputs: [V2RequestInput]
    var outputs: [V2RequestOutput]?
}
