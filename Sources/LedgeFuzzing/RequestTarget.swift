#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif
internal import HTTPTypes
internal import LedgeCore
internal import LedgeServer
internal import LedgeServing

/// FuzzRequest: the bytes as the body of `POST /v2/models/{m}/infer`, through the
/// server's own decoding: the `Inference-Header-Content-Length` value, the split of the
/// body into JSON and the binary tensor data extension's section, the strict JSON
/// parser, request decoding, the checks against a model, then the response body.
///
/// Input layout: when byte 0 is 0x01, the bytes up to the next NUL are the header's value
/// (inputs whose value holds CR or LF, which HTTP cannot carry, are skipped) and the rest
/// is the body. Otherwise the whole input is the body, and a NUL byte (never valid in
/// JSON) splits it: its offset is sent as the header, the bytes after it are the binary section.
///
/// Inputs and outputs may name two registered shared memory regions (see ``sharedMemory``).
///
/// Invariants: nothing traps; every error is a one-line `invalidInput` ``LedgeError`` or a
/// 400 ``ServerError`` (never a 500 "internal error"); what `prepare` accepts matches the
/// model (rank, fixed dimensions, element count, no tensor beyond what the body carries) and
/// its response is JSON our strict parser accepts, with as many values as each shape says
/// and a binary section as long as the sizes it declares.
enum RequestTarget {
    /// A model with no sessions: prepare only reads its tensor specs. One input per dtype family,
    /// fixed and dynamic dimensions, a scalar; the outputs are the same tensors.
    static let model: ServedModel = {
        let inputs = [
            TensorSpec(name: "x", dtype: .float32, shape: [-1, 4]),
            TensorSpec(name: "mask", dtype: .bool, shape: [-1]),
            TensorSpec(name: "ids", dtype: .int64, shape: [1, -1]),
            TensorSpec(name: "pix", dtype: .uint8, shape: [2, 2, 3]),
            TensorSpec(name: "h", dtype: .float16, shape: [-1, -1, -1]),
            TensorSpec(name: "s", dtype: .int8, shape: []),
            TensorSpec(name: "d", dtype: .float64, shape: [3]),
            TensorSpec(name: "u", dtype: .uint32, shape: [-1]),
        ]
        let info = ModelInfo(path: "fuzz.onnx", format: .onnx, runtimeVersion: "0", sizeBytes: 0, inputs: inputs, outputs: inputs)
        return ServedModel(name: "fuzz", info: info, pool: SessionPool(modelName: "fuzz", instances: [], queueLimit: 0))
    }()

    /// Registered regions for inputs and outputs that name them: `r` (64 bytes of a pattern) and
    /// `r8` (its 48 bytes from offset 8), in an object whose name is removed at once (the
    /// registry's descriptor keeps it; nothing is left behind, even after a crash).
    static let sharedMemory: SharedMemoryRegistry = {
        let registry = SharedMemoryRegistry(allowed: true)
        let key = "/ledge-fuzz-\(getpid())"
        let descriptor = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { return registry }
        defer {
            close(descriptor)
            shm_unlink(key)
        }
        let pattern = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
        _ = pattern.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        try? registry.register(name: "r", key: key, offset: 0, byteSize: 64)
        try? registry.register(name: "r8", key: key, offset: 8, byteSize: 48)
        return registry
    }()

    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.request
        let body: Data, header: String?
        if input.first == 0x01 {
            let rest = input.dropFirst()
            let end = rest.firstIndex(of: 0) ?? rest.endIndex
            let value = rest[rest.startIndex..<end]
            if value.contains(13) || value.contains(10) { return }
            header = String(decoding: value, as: UTF8.self)
            body = Data(rest[min(end + 1, rest.endIndex)...])
        } else {
            body = Data(input)
            header = input.firstIndex(of: 0).map(String.init)
        }

        let request: InferenceRequest
        do {
            request = try DecodingEntryPoints.v2Request(body: body, lengthHeader: header)
        } catch {
            try target.expectRefusal(error, from: "v2Request", input)
            return
        }
        // What decoding accepted, the strict parser accepts: it judges syntax.
        let json = body.prefix(request.jsonByteCount)
        if json.withUnsafeBytes({ JSONParser.parse($0) }) == nil { throw target.failure("v2Request accepted JSON the parser refuses", input) }
        if request.jsonByteCount + (request.binary?.count ?? 0) != body.count {
            throw target.failure("the JSON and binary sections do not add up to the body", input)
        }

        let prepared: PreparedInference
        do {
            prepared = try model.prepare(request, sharedMemory: sharedMemory)
        } catch {
            try target.expectLedgeError(error, from: "prepare", input)
            return
        }
        try checkPrepared(prepared, target, input)
        // The inputs echoed as the outputs (same specs) through the response writer.
        // (An output larger than its shared memory slice is the one refusal left here.)
        let response: InferenceResponse
        do {
            response = try model.response(for: prepared, results: prepared.inputs)
        } catch {
            try target.expectLedgeError(error, from: "response", input)
            return
        }
        for (output, sent) in zip(prepared.outputs, response.outputs) where (output.sharedMemory == nil) != (sent.sharedMemory == nil) {
            throw target.failure(
                "output '\(sent.name)' was asked for in shared memory: \(output.sharedMemory != nil), written there: \(sent.sharedMemory != nil)",
                input)
        }
        try ResponseCheck.check(
            DecodingEntryPoints.v2Body(for: response), outputs: response.outputs.count,
            inSharedMemory: Set(response.outputs.indices.filter { response.outputs[$0].sharedMemory != nil }), input)
    }

    /// What `prepare` accepted fits ``model``: one tensor per input, of its dtype and an accepted
    /// shape, holding the bytes that shape takes and no more than the input could carry (a value per
    /// byte at most, 8 bytes each); requested outputs are the model's.
    static func checkPrepared(_ prepared: PreparedInference, _ target: FuzzTarget, _ input: UnsafeBufferPointer<UInt8>) throws {
        let specs = model.info.inputs
        if prepared.inputs.count != specs.count { throw target.failure("prepare gave \(prepared.inputs.count) tensors", input) }
        for (tensor, spec) in zip(prepared.inputs, specs) {
            if tensor.dtype != spec.dtype { throw target.failure("input '\(spec.name)' has dtype \(tensor.dtype)", input) }
            if !spec.accepts(shape: tensor.shape) { throw target.failure("input '\(spec.name)' has shape \(tensor.shape)", input) }
            guard let bytes = ShapeArithmetic.byteCount(tensor.shape, dtype: tensor.dtype), bytes == tensor.byteCount else {
                throw target.failure("input '\(spec.name)' holds \(tensor.byteCount) bytes for shape \(tensor.shape)", input)
            }
            // Nothing larger than the body (JSON: a value per byte at most; binary: the bytes sent).
            if tensor.byteCount > input.count * 8 {
                throw target.failure("input '\(spec.name)' of \(tensor.byteCount) bytes from a \(input.count)-byte body", input)
            }
        }
        for output in prepared.outputs where !model.info.outputs.indices.contains(output.index) {
            throw target.failure("prepare named output \(output.index)", input)
        }
    }
}
