internal import LedgeCore

/// Reading and validating the `Model` table (schema.fbs field indices in comments).
extension TFLiteModel {
    /// The largest tensor Ledge accepts from a model file (bytes): bigger is a corrupt shape.
    static let maximumTensorBytes = 1 << 34

    static func read(_ fb: FlatBuffer) throws -> TFLiteModel {
        guard fb.count >= 8 else { throw FlatBufferError("file is \(fb.count) bytes") }
        guard fb.bytes[4..<8].elementsEqual("TFL3".utf8) else { throw FlatBufferError("missing 'TFL3' identifier") }
        let model = try fb.root("model")
        let version = try model.u32(0, "model version")
        let codes = try model.tables(1, "operator_codes").enumerated().map { i, t in
            OperatorCode(
                builtinCode: try t.i32(3, "operator_codes[\(i)]"),
                deprecatedBuiltinCode: Int8(bitPattern: try t.u8(0, "operator_codes[\(i)]")),
                customCode: try t.string(1, "operator_codes[\(i)] custom_code"),
                version: try t.i32(2, "operator_codes[\(i)] version", default: 1))
        }
        let buffers = try model.tables(4, "buffers").enumerated().map { i, t in try readBuffer(t, i, fb) }
        let subgraphs = try model.tables(2, "subgraphs").enumerated().map { i, t in
            try readSubgraph(t, i, operatorCodes: codes.count, buffers: buffers.count)
        }
        guard !subgraphs.isEmpty else { throw FlatBufferError("model has no subgraphs") }
        let metadata = try model.tables(6, "metadata").enumerated().map { i, t -> (name: String, buffer: Int) in
            let buffer = Int(try t.u32(1, "metadata[\(i)] buffer"))
            guard buffer < buffers.count else { throw FlatBufferError("metadata[\(i)] buffer index \(buffer) out of range") }
            return (try t.string(0, "metadata[\(i)] name") ?? "", buffer)
        }
        let signatures = try model.tables(7, "signature_defs").enumerated().map { i, t in
            try readSignature(t, i, subgraphs: subgraphs)
        }
        return TFLiteModel(
            version: version, description: try model.string(3, "model description"), operatorCodes: codes,
            subgraphs: subgraphs, buffers: buffers, metadata: metadata, signatureDefs: signatures)
    }

    private static func readBuffer(_ t: FlatTable, _ i: Int, _ fb: FlatBuffer) throws -> BufferRange {
        if let (start, count) = try t.vector(0, elementSize: 1, "buffers[\(i)] data"), count > 0 {
            return BufferRange(offset: start, size: count)
        }
        let offset = try t.u64(1, "buffers[\(i)] offset"), size = try t.u64(2, "buffers[\(i)] size")
        guard offset > 1 else { return BufferRange(offset: 0, size: 0) }
        guard offset <= UInt64(fb.count), size <= UInt64(fb.count) - offset else {
            throw FlatBufferError("buffers[\(i)] offset \(offset) + size \(size) past the end of the file")
        }
        return BufferRange(offset: Int(offset), size: Int(size))
    }

    private static func readSubgraph(_ t: FlatTable, _ s: Int, operatorCodes: Int, buffers: Int) throws -> Subgraph {
        let tensors = try t.tables(0, "subgraphs[\(s)] tensors").enumerated().map { i, tensor in
            try readTensor(tensor, "subgraphs[\(s)] tensors[\(i)]", buffers: buffers)
        }
        func indices(_ values: [Int32]?, _ what: String, optional: Bool) throws -> [Int] {
            try (values ?? []).map { v in
                guard (optional && v == -1) || (v >= 0 && Int(v) < tensors.count) else {
                    throw FlatBufferError("\(what) tensor index \(v) out of range")
                }
                return Int(v)
            }
        }
        let inputs = try indices(try t.int32s(1, "subgraphs[\(s)] inputs"), "subgraphs[\(s)] inputs", optional: false)
        let outputs = try indices(try t.int32s(2, "subgraphs[\(s)] outputs"), "subgraphs[\(s)] outputs", optional: false)
        let operators = try t.tables(3, "subgraphs[\(s)] operators").enumerated().map { i, op -> Int in
            let what = "subgraphs[\(s)] operators[\(i)]"
            let code = Int(try op.u32(0, what))
            guard code < operatorCodes else { throw FlatBufferError("\(what) opcode_index \(code) out of range") }
            _ = try indices(try op.int32s(1, "\(what) inputs"), what, optional: true)
            _ = try indices(try op.int32s(2, "\(what) outputs"), what, optional: true)
            _ = try indices(try op.int32s(8, "\(what) intermediates"), what, optional: true)
            _ = try op.table(4, "\(what) builtin_options")
            _ = try op.vector(5, elementSize: 1, "\(what) custom_options")
            _ = try op.vector(7, elementSize: 1, "\(what) mutating_variable_inputs")
            _ = try op.table(12, "\(what) builtin_options_2")
            return code
        }
        return Subgraph(
            name: try t.string(4, "subgraphs[\(s)] name"), tensors: tensors, inputs: inputs,
            outputs: outputs, operatorCodeIndices: operators)
    }

    private static func readTensor(_ t: FlatTable, _ what: String, buffers: Int) throws -> TensorInfo {
        let shape = try (t.int32s(0, "\(what) shape") ?? []).map(Int.init)
        let type = Int8(bitPattern: try t.u8(1, "\(what) type"))
        let buffer = Int(try t.u32(2, "\(what) buffer"))
        guard buffer < buffers else { throw FlatBufferError("\(what) buffer index \(buffer) out of range") }
        let signature = try t.int32s(7, "\(what) shape_signature").map { $0.map(Int.init) } ?? shape
        guard shape.count <= 8, shape.allSatisfy({ $0 >= -1 }), signature.allSatisfy({ $0 >= -1 }) else {
            throw FlatBufferError("\(what) shape \(shape)")
        }
        guard signature.count == shape.count else { throw FlatBufferError("\(what) shape_signature rank") }
        var elements = 1
        for d in shape where d > 0 {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maximumTensorBytes else { throw FlatBufferError("\(what) shape \(shape)") }
            elements = product
        }
        guard (0...20).contains(type) else { throw FlatBufferError("\(what) type \(type)") }
        _ = try t.table(6, "\(what) sparsity")
        let name = try t.string(3, "\(what) name") ?? ""
        return TensorInfo(
            name: name, type: type, shape: shape, shapeSignature: signature,
            buffer: buffer, quantization: try readQuantization(t, what, name: name, type: type, shape: shape))
    }

    /// Reads a tensor's quantization and refuses what crashes runtimes instead
    /// of failing cleanly (LiteRT segfaults on an out-of-range zero point or a
    /// zero scale): each refusal names the tensor and the field.
    private static func readQuantization(
        _ t: FlatTable, _ what: String, name: String, type: Int8,
        shape: [Int]
    ) throws -> Quantization? {
        guard let q = try t.table(4, "\(what) quantization") else { return nil }
        _ = try q.floats(0, "\(what) quantization min")
        _ = try q.floats(1, "\(what) quantization max")
        _ = try q.table(5, "\(what) quantization details")
        let scales = try q.floats(2, "\(what) quantization scale") ?? []
        let zeroPoints = try q.int64s(3, "\(what) quantization zero_point") ?? []
        let axis = Int(try q.i32(6, "\(what) quantized_dimension"))
        guard !scales.isEmpty else { return nil }
        let tensor = "\(what) '\(TextProto.printable(name, limit: .max))'"
        guard zeroPoints.isEmpty || zeroPoints.count == scales.count else {
            throw TFLiteValidationError(
                "\(tensor): quantization has \(scales.count) scale(s) and \(zeroPoints.count) zero_point(s): expected as many of each")
        }
        if let bad = scales.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
            throw TFLiteValidationError("\(tensor): quantization scale[\(bad)] is \(scales[bad]): expected a finite number above 0")
        }
        if let range = zeroPointRange(forType: type), let bad = zeroPoints.firstIndex(where: { !range.contains($0) }) {
            throw TFLiteValidationError(
                "\(tensor): quantization zero_point[\(bad)] is \(zeroPoints[bad]): expected \(range.lowerBound)...\(range.upperBound) for its type")
        }
        guard axis >= 0, axis == 0 || axis < shape.count else {
            throw TFLiteValidationError(
                "\(tensor): quantized_dimension is \(axis): expected 0...\(max(shape.count - 1, 0)) (its rank is \(shape.count))")
        }
        let zeros = zeroPoints.isEmpty ? [Int64](repeating: 0, count: scales.count) : zeroPoints
        if scales.count == 1 { return Quantization(scale: scales[0], zeroPoint: zeros[0]) }
        guard axis < shape.count, shape[axis] == scales.count else {
            throw TFLiteValidationError(
                "\(tensor): quantized_dimension \(axis) of shape \(shape) does not fit \(scales.count) per-channel scales")
        }
        return Quantization(scales: scales, zeroPoints: zeros, axis: axis)
    }

    /// The zero points a quantized integer type can hold (TFLite TensorType numbers), `nil` for others.
    public static func zeroPointRange(forType type: Int8) -> ClosedRange<Int64>? {
        switch type {
        case 3: return 0...255  // UINT8
        case 9: return -128...127  // INT8
        case 7: return -32768...32767  // INT16
        case 16: return 0...65535  // UINT16
        case 17: return -8...7  // INT4
        case 2: return Int64(Int32.min)...Int64(Int32.max)  // INT32
        default: return nil
        }
    }

    private static func readSignature(_ t: FlatTable, _ i: Int, subgraphs: [Subgraph]) throws -> SignatureDef {
        let what = "signature_defs[\(i)]"
        let subgraph = Int(try t.u32(4, "\(what) subgraph_index"))
        guard subgraph < subgraphs.count else { throw FlatBufferError("\(what) subgraph_index \(subgraph) out of range") }
        func maps(_ field: Int, _ kind: String) throws -> [(name: String, tensorIndex: Int)] {
            try t.tables(field, "\(what) \(kind)").map { m in
                let index = Int(try m.u32(1, "\(what) \(kind) tensor_index"))
                guard index < subgraphs[subgraph].tensors.count else {
                    throw FlatBufferError("\(what) \(kind) tensor_index \(index) out of range")
                }
                return (try m.string(0, "\(what) \(kind) name") ?? "", index)
            }
        }
        return SignatureDef(
            key: try t.string(2, "\(what) signature_key") ?? "", subgraphIndex: subgraph,
            inputs: try maps(0, "inputs"), outputs: try maps(1, "outputs"))
    }
}
