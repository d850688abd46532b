#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import SwiftProtobuf

/// An ONNX model as the format's own messages (generated from our `Protos/onnx.proto`): read
/// from a file, changed, and written back. Everything Ledge does not change survives a read and
/// a write: fields it does not declare are kept as unknown fields, and fields set to their
/// default value keep their presence (proto2), so an unchanged model is written byte for byte.
public struct ONNXModelFile: Sendable {
    /// The model.
    package var model: Onnx_ModelProto
    /// Where it was read from (named in errors).
    public let path: String

    package init(model: Onnx_ModelProto, path: String) {
        self.model = model
        self.path = path
    }

    /// Reads the ONNX model at `path`. Errors are ``LedgeError/Code/invalidModel`` lines naming
    /// the file: missing, empty, not a protobuf ONNX model, or with its weights in external files
    /// (those are refused: a model is one file here).
    public static func read(_ path: String) throws -> ONNXModelFile {
        let data = try CheckedFile.read(path, kind: "model", expected: "an ONNX model file", code: .invalidModel)
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw LedgeError.invalidModel("\(path): not an ONNX model: its protobuf does not decode (\(error))")
        }
        guard model.hasIrVersion, model.irVersion > 0, model.hasGraph else {
            throw LedgeError.invalidModel("\(path): not an ONNX model: expected an ir_version and a graph")
        }
        let file = ONNXModelFile(model: model, path: path)
        if let external = file.tensors().first(where: { $0.dataLocation == .external || !$0.externalData.isEmpty }) {
            let location = external.externalData.first { $0.key == "location" }?.value ?? "?"
            throw LedgeError.invalidModel(
                "\(path): tensor '\(external.name)' keeps its data in the external file '\(location)': expected every weight inside the model (onnx.save_model(model, path, save_as_external_data=False))"
            )
        }
        return file
    }

    /// The model's bytes.
    public func serialized() throws -> [UInt8] {
        do {
            return try model.serializedBytes()
        } catch {
            throw LedgeError(.runtimeFailure, "\(path): the model could not be encoded: \(error)")
        }
    }

    /// Writes the model to `path` atomically (a reader sees the old file or the whole new one);
    /// `option` names the path in errors.
    public func write(to path: String, option: String = "--output") throws {
        try AtomicFile.write(bytes: try serialized(), to: path, option: option)
    }

    /// The `ir_version`.
    public var irVersion: Int { Int(model.irVersion) }

    /// The opset version of the default domain (`""` or `ai.onnx`), `nil` when the model imports none.
    public var opsetVersion: Int? {
        model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) }
    }

    /// Every tensor of the model: the graph's initializers and the tensor attributes of its
    /// nodes (Constant nodes' values), in subgraphs and functions too.
    package func tensors() -> [Onnx_TensorProto] {
        var found: [Onnx_TensorProto] = []
        func visit(_ graph: Onnx_GraphProto) {
            found += graph.initializer
            graph.node.forEach(visitNode)
        }
        func visitNode(_ node: Onnx_NodeProto) {
            for attribute in node.attribute {
                if attribute.hasT { found.append(attribute.t) }
                found += attribute.tensors
                if attribute.hasG { visit(attribute.g) }
                attribute.graphs.forEach(visit)
            }
        }
        visit(model.graph)
        model.functions.forEach { $0.node.forEach(visitNode) }
        return found
    }
}
