internal import CONNXRuntime
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

extension ONNXSession {
    /// The specs of a session's inputs or outputs, with -1 for dynamic dimensions.
    static func specs(of session: OpaquePointer, inputs: Bool, api: ORTAPI, path: String) throws(LedgeError) -> [TensorSpec] {
        let kind = inputs ? "input" : "output"
        do {
            let allocator = try api.defaultAllocator()
            var count = 0
            try api.check(
                inputs
                    ? api.raw.session_get_input_count(session, &count)
                    : api.raw.session_get_output_count(session, &count))
            var specs: [TensorSpec] = []
            for index in 0..<count {
                var rawName: UnsafeMutablePointer<CChar>?
                try api.check(
                    inputs
                        ? api.raw.session_get_input_name(session, index, allocator, &rawName)
                        : api.raw.session_get_output_name(session, index, allocator, &rawName))
                let name = api.takeString(rawName, allocator: allocator) ?? "\(kind)\(index)"
                var typeInfo: OpaquePointer?
                try api.check(
                    inputs
                        ? api.raw.session_get_input_type_info(session, index, &typeInfo)
                        : api.raw.session_get_output_type_info(session, index, &typeInfo))
                guard let typeInfo else { throw ORTFailure(code: 1, message: "no type information for \(kind) '\(name)'") }
                let typeHandle = ORTHandle(typeInfo) { api.raw.release_type_info($0) }
                var onnxType = LEDGE_ORT_TYPE_UNKNOWN
                try api.check(api.raw.get_onnx_type(typeHandle.pointer, &onnxType))
                var tensorInfo: OpaquePointer?  // owned by the type info: not released
                try api.check(api.raw.cast_to_tensor_info(typeHandle.pointer, &tensorInfo))
                guard onnxType == LEDGE_ORT_TYPE_TENSOR, let tensorInfo else {
                    throw LedgeError.invalidModel(
                        "\(path): \(kind) '\(name)' is not a tensor (ONNX type \(onnxType.rawValue)); Ledge runs tensor models only")
                }
                let (elementType, shape) = try withExtendedLifetime(typeHandle) { () throws(ORTFailure) in
                    try typeAndShape(tensorInfo, api: api)
                }
                guard let dtype = DType(ort: elementType) else {
                    throw LedgeError.invalidModel(
                        "\(path): \(kind) '\(name)' has element type \(ortTypeName(elementType)), which Ledge does not support")
                }
                specs.append(TensorSpec(name: name, dtype: dtype, shape: shape.map { $0 < 0 ? -1 : $0 }))
            }
            return specs
        } catch let error as ORTFailure {
            throw LedgeError.invalidModel("\(path): ONNX Runtime cannot describe the model's \(kind)s: \(error.message)")
        } catch let error as LedgeError {
            throw error
        } catch {
            throw LedgeError.runtimeFailure("onnxruntime: \(error)")
        }
    }

    /// Element type and dimensions from a tensor type-and-shape info.
    static func typeAndShape(_ info: OpaquePointer, api: ORTAPI) throws(ORTFailure) -> (ledge_ort_element_type, [Int]) {
        var elementType = LEDGE_ORT_ELEMENT_UNDEFINED
        try api.check(api.raw.get_element_type(info, &elementType))
        var rank = 0
        try api.check(api.raw.get_dimensions_count(info, &rank))
        var dims = [Int64](repeating: 0, count: rank)
        if rank > 0 { try api.check(api.raw.get_dimensions(info, &dims, rank)) }
        return (elementType, dims.map { Int(truncatingIfNeeded: $0) })
    }

    /// The model's metadata: names, description, version and the custom map.
    static func metadata(of session: OpaquePointer, api: ORTAPI) -> ModelMetadata {
        var metadata = ModelMetadata()
        guard let allocator = try? api.defaultAllocator() else { return metadata }
        var raw: OpaquePointer?
        guard (try? api.check(api.raw.session_get_model_metadata(session, &raw))) != nil, let raw else { return metadata }
        let handle = ORTHandle(raw) { api.raw.release_model_metadata($0) }

        func string(_ getter: ledge_ort_metadata_get_string_fn) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard (try? api.check(getter(handle.pointer, allocator, &value))) != nil else { return nil }
            return api.takeString(value, allocator: allocator).flatMap { $0.isEmpty ? nil : $0 }
        }
        let graphName = string(api.raw.metadata_get_graph_name)
        metadata.name = graphName
        metadata.description = string(api.raw.metadata_get_description)
        if let producer = string(api.raw.metadata_get_producer_name) { metadata.properties["producer_name"] = producer }
        if let graphName { metadata.properties["graph_name"] = graphName }
        if let domain = string(api.raw.metadata_get_domain) { metadata.properties["domain"] = domain }
        var version: Int64 = 0
        // Int64.max is ONNX Runtime's "no model_version".
        if (try? api.check(api.raw.metadata_get_version(handle.pointer, &version))) != nil, version != 0, version != .max {
            metadata.version = String(version)
        }

        var keys: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var keyCount: Int64 = 0
        if (try? api.check(api.raw.metadata_get_custom_keys(handle.pointer, allocator, &keys, &keyCount))) != nil, let keys {
            for i in 0..<Int(max(keyCount, 0)) {
                guard let key = api.takeString(keys[i], allocator: allocator) else { continue }
                var value: UnsafeMutablePointer<CChar>?
                guard (try? api.check(api.raw.metadata_lookup_custom(handle.pointer, allocator, key, &value))) != nil,
                    let text = api.takeString(value, allocator: allocator)
                else { continue }
                metadata.properties[key] = text
            }
            _ = api.raw.allocator_free(allocator, keys).map(api.raw.release_status)
        }
        for key in ["labels", "classes", "class_names", "names"] {
            if let text = metadata.properties.first(where: { $0.key.lowercased() == key })?.value,
                let labels = parseLabels(text)
            {
                metadata.labels = labels
                break
            }
        }
        if let author = metadata.properties.first(where: { $0.key.lowercased() == "author" })?.value {
            metadata.author = author
        }
        return metadata
    }

    /// Class labels from a metadata value: a JSON array of strings, or a
    /// newline- or comma-separated list. `nil` when it is none of these.
    static func parseLabels(_ text: String) -> [String]? {
        let trimmed = text.trimmingWhitespaceAndNewlines()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("[") {
            // Only an array of strings decodes: a number, null or object in it gives nil.
            guard let labels = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)) else { return nil }
            return labels.isEmpty ? nil : labels
        }
        let separator: Character = trimmed.unicodeScalars.contains("\n") ? "\n" : ","
        let labels = trimmed.split(separator: separator, omittingEmptySubsequences: false)
            .map { $0.trimmingWhitespace() }
        guard labels.count > 1, labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        return labels
    }
}
