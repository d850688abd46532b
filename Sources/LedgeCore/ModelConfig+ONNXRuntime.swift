extension ModelConfig {
    /// The `parameters` of Triton's ONNX Runtime backend that Ledge reads for ONNX models, besides
    /// `intra_op_thread_count` (``onnxRuntimeSettings``).
    public static let onnxRuntimeParameterKeys = ["execution_mode", "inter_op_thread_count", "enable_mem_arena", "enable_mem_pattern"]

    /// The keys of `parameters` Ledge does not read for a model of `format` (a backend's settings,
    /// as Triton passes them on; ONNX Runtime's are read for ONNX models only): kept and shown,
    /// and named in a warning when the model loads.
    public func unreadParameterKeys(for format: ModelFormat) -> [String] {
        let read = Self.parameterKeys + (format == .onnx ? Self.onnxRuntimeParameterKeys : [])
        return parameters.keys.filter { !read.contains($0) }.sorted()
    }

    /// The ONNX Runtime settings the config gives (its values are checked by ``parse(_:file:)``).
    public var onnxRuntimeSettings: ONNXRuntimeSettings {
        ONNXRuntimeSettings(
            graphLevel: graphLevel.flatMap(ONNXRuntimeSettings.graphLevel(triton:)) ?? .all,
            parallel: parameters["execution_mode"] == "1",
            interOpThreads: parameters["inter_op_thread_count"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil },
            memoryArena: parameters["enable_mem_arena"].flatMap(Self.flag) ?? true,
            memoryPattern: parameters["enable_mem_pattern"].flatMap(Self.flag) ?? true)
    }

    /// A boolean parameter as Triton's backends read it: `true`, `on` or `1`; `false`, `off` or `0` (any case).
    static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "on", "1": return true
        case "false", "off", "0": return false
        default: return nil
        }
    }

    /// What is wrong with the value of parameter `key` (a message after `parameters 'KEY': "VALUE" `),
    /// `nil` when nothing is or Ledge does not read the key.
    static func parameterProblem(key: String, value: String) -> String? {
        switch key {
        case "threads", "intra_op_thread_count":
            let range = key == "threads" ? threadsRange : 0...threadsRange.upperBound
            if Int(value).map(range.contains) == true { return nil }
            return "is not a thread count: expected an integer from \(range.lowerBound) to \(range.upperBound)"
        case "inter_op_thread_count":
            if Int(value).map((0...threadsRange.upperBound).contains) == true { return nil }
            return "is not a thread count: expected an integer from 0 to \(threadsRange.upperBound)"
        case "execution_mode":
            if value == "0" || value == "1" { return nil }
            return "is not an execution mode: expected 0 (sequential) or 1 (parallel)"
        case "enable_mem_arena", "enable_mem_pattern":
            if flag(value) != nil { return nil }
            return "is not a boolean: expected true or false (also on, off, 1, 0)"
        default:
            return nil
        }
    }
}
