internal import LedgeCore
internal import LedgeServing

/// FuzzConfig: the bytes as a model folder's `config.pbtxt` (Triton's protobuf text format), as a
/// repository reads it at start and at every reload: the text parser, the config decoder, the
/// completion against a model's own tensors (``info``), and the config as the
/// `/config` endpoints serve it. Bytes that hold a JSON object are also read as a load
/// request's `config` (Triton's JSON form, ``ModelConfigJSON``).
///
/// Invariants: nothing traps; every refusal is a one-line `invalidModel` ``LedgeError`` that
/// names the file (`config.pbtxt:` first, then where and what); an accepted config keeps its
/// numbers in the decoder's ranges (instance counts 1–256, a max batch size of 0 or more,
/// dimensions of -1 or more) and its JSON parses with the server's strict parser.
enum ConfigTarget {
    static let file = "config.pbtxt"

    /// The model a config completes against: batchable inputs (a dynamic first dimension) of
    /// three dtypes, two of them outputs too.
    static let info: ModelInfo = {
        let x = TensorSpec(name: "x", dtype: .float32, shape: [-1, 4])
        let d = TensorSpec(name: "d", dtype: .float64, shape: [-1, 3])
        let pix = TensorSpec(name: "pix", dtype: .uint8, shape: [-1, 2, 2, 3])
        return ModelInfo(path: "fuzz.onnx", format: .onnx, runtimeVersion: "0", sizeBytes: 0, inputs: [x, d, pix], outputs: [x, d])
    }()

    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.config
        // Not UTF-8: `ModelConfig.load` refuses the file before parsing (its own message).
        guard let text = String(validating: input, as: UTF8.self) else { return }
        // A JSON object is also read as a load request's config (Triton's JSON form).
        if text.first(where: { !$0.isWhitespace }) == "{" { try runJSON(text, input) }
        do {
            let config = try ModelConfig.parse(text, file: file)
            try check(config, input)
            try check(try config.completed(for: info, format: .onnx, file: file), input)
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            try target.expectLedgeError(error, from: "config", codes: [.invalidModel], input)
            if let error = error as? LedgeError, !error.message.hasPrefix("\(file):") {
                throw target.failure("the config's error does not name the file first: \(error.message)", input)
            }
        }
    }

    /// The bytes as a load request's `config` (``ModelConfigJSON``): the same invariants, its
    /// refusals one-line `invalidInput` errors that name the parameter first.
    private static func runJSON(_ text: String, _ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.config
        do {
            let config = try ModelConfigJSON.config(text)
            try check(config, input)
            try check(try config.completed(for: info, format: .onnx, file: ModelConfigJSON.source), input)
        } catch let failure as FuzzFailure {
            throw failure
        } catch let error as LedgeError where error.code == .invalidModel {
            // Completion against the model names the parameter as a config.pbtxt's path.
            if !error.message.hasPrefix(ModelConfigJSON.source) {
                throw target.failure("the completion's error does not name the parameter first: \(error.message)", input)
            }
        } catch {
            try target.expectLedgeError(error, from: "JSON config", codes: [.invalidInput], input)
            if let error = error as? LedgeError, !error.message.hasPrefix(ModelConfigJSON.source) {
                throw target.failure("the JSON config's error does not name the parameter first: \(error.message)", input)
            }
        }
    }

    private static func check(_ config: ModelConfig, _ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.config
        if let group = config.instanceGroups.first(where: { !(1...256).contains($0.count) }) {
            throw target.failure("an instance group of \(group.count) instances was accepted", input)
        }
        if config.maxBatchSize < 0 { throw target.failure("max_batch_size \(config.maxBatchSize) was accepted", input) }
        for tensor in config.inputs + config.outputs where tensor.dims.contains(where: { $0 < -1 }) {
            throw target.failure("'\(tensor.name)' with dims \(tensor.dims) was accepted", input)
        }
        let json = Array(config.json().utf8)
        if json.withUnsafeBytes({ JSONParser.parse($0) }) == nil {
            throw target.failure("the config's JSON does not parse: \(String(decoding: json.prefix(300), as: UTF8.self))", input)
        }
    }
}
