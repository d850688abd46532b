internal import CLiteRT
internal import LedgeCore

/// Reads signature 0's inputs and outputs from LiteRT and completes them with
/// what the flatbuffer says (shape_signature with -1, per-channel quantization).
struct SignatureReader {
    var keys: [String] = []
    var inputs: [TensorSpec] = []
    var outputs: [TensorSpec] = []
    var inputTypes: [ledge_litert_ranked_tensor_type] = []
    var outputTypes: [ledge_litert_ranked_tensor_type] = []

    init(runtime: LiteRTRuntime, model: OpaquePointer, reader: TFLiteModel, path: String) throws {
        let api = runtime.api.pointee
        var count = 0
        try runtime.check(api.GetNumModelSignatures(model, &count), "counting signatures")
        var signature0: OpaquePointer?
        for index in 0..<count {
            var signature: OpaquePointer?
            try runtime.check(api.GetModelSignature(model, index, &signature), "reading signature \(index)")
            var key: UnsafePointer<CChar>?
            try runtime.check(api.GetSignatureKey(signature, &key), "reading signature \(index) key")
            keys.append(key.map { String(cString: $0) } ?? "")
            if index == 0 { signature0 = signature }
        }
        guard let signature = signature0 else {
            throw LedgeError.invalidModel("\(path): the model has no signature to run")
        }
        let definition = reader.signatureDefs.first { $0.key == keys[0] }
        let subgraph = reader.subgraphs[definition?.subgraphIndex ?? 0]
        for isInput in [true, false] {
            var n = 0
            try runtime.check(
                isInput ? api.GetNumSignatureInputs(signature, &n) : api.GetNumSignatureOutputs(signature, &n),
                "counting signature outputs")
            for i in 0..<n {
                let kind = isInput ? "input" : "output"
                var name: UnsafePointer<CChar>?
                var tensor: OpaquePointer?
                try runtime.check(
                    isInput ? api.GetSignatureInputName(signature, i, &name) : api.GetSignatureOutputName(signature, i, &name),
                    "reading \(kind) \(i) name")
                try runtime.check(
                    isInput
                        ? api.GetSignatureInputTensorByIndex(signature, i, &tensor)
                        : api.GetSignatureOutputTensorByIndex(signature, i, &tensor),
                    "reading \(kind) \(i) tensor")
                var type = ledge_litert_ranked_tensor_type()
                try runtime.check(api.GetRankedTensorType(tensor, &type), "reading \(kind) \(i) type")
                let tensorName = name.map { String(cString: $0) } ?? ""
                let maps = isInput ? definition?.inputs : definition?.outputs
                let order = isInput ? subgraph.inputs : subgraph.outputs
                let index = maps?.first { $0.name == tensorName }?.tensorIndex ?? (i < order.count ? order[i] : nil)
                guard let index, subgraph.tensors.indices.contains(index) else {
                    throw LedgeError.invalidModel("\(path): signature \(kind) '\(tensorName)' has no tensor in the model")
                }
                let info = subgraph.tensors[index]
                guard let dtype = info.dtype else {
                    throw LedgeError.invalidModel(
                        "\(path): \(kind) '\(tensorName)' has TFLite tensor type \(info.type), which Ledge does not support")
                }
                let spec = TensorSpec(name: tensorName, dtype: dtype, shape: info.shapeSignature, quantization: info.quantization)
                if isInput {
                    inputs.append(spec)
                    inputTypes.append(type)
                } else {
                    outputs.append(spec)
                    outputTypes.append(type)
                }
            }
        }
    }
}
