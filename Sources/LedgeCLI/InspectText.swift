internal import LedgeCore
internal import LedgeEngine

/// The human-readable form of ``InspectReport``.
enum InspectText {
    static func render(_ r: InspectReport) -> String {
        var lines: [String] = []
        let runtimeName = r.runtime == "litert" ? "LiteRT" : "ONNX Runtime"
        lines.append("model:      \(r.path)")
        lines.append("format:     \(r.format) (\(runtimeName) \(r.runtime_version))")
        lines.append("size:       \(r.size_bytes) bytes (\(humanBytes(r.size_bytes)))")
        lines.append("quantized:  \(r.quantized)")
        if !r.signatures.isEmpty { lines.append("signatures: \(r.signatures.joined(separator: ", "))") }
        let rows = table(r.inputs + r.outputs)
        lines.append("inputs:")
        lines += rows.prefix(r.inputs.count)
        lines.append("outputs:")
        lines += rows.dropFirst(r.inputs.count)
        let m = r.metadata
        var meta: [String] = []
        if let v = m.name { meta.append("  name:        \(v)") }
        if let v = m.description { meta.append("  description: \(v.replacing(scalar: "\n", with: " "))") }
        if let v = m.version { meta.append("  version:     \(v)") }
        if let v = m.author { meta.append("  author:      \(v)") }
        if !m.associated_files.isEmpty { meta.append("  files:       \(m.associated_files.joined(separator: ", "))") }
        if m.labels_count > 0 { meta.append("  labels:      \(m.labels_count)" + (m.labels_source.map { " (\($0))" } ?? "")) }
        if let n = m.normalization { meta.append("  normalize:   mean \(n["mean"] ?? []) std \(n["std"] ?? [])") }
        if let p = m.preprocessing { meta.append("  preprocess:  \(p["steps"] ?? "") (\(p["source"] ?? ""))") }
        for (k, v) in m.properties.sorted(by: { $0.key < $1.key }) { meta.append("  \(k): \(v)") }
        if !meta.isEmpty { lines.append("metadata:"); lines += meta }
        if !r.operators.isEmpty {
            let total = r.operators.reduce(0) { $0 + $1.count }
            lines.append("operators (\(total) in \(r.operators.count) kinds):")
            let width = r.operators.map(\.op.count).max() ?? 0
            for op in r.operators { lines.append("  \(pad(op.op, width))  × \(op.count)") }
        }
        return lines.joined(separator: "\n")
    }

    private static func table(_ tensors: [InspectReport.TensorEntry]) -> [String] {
        let nameWidth = tensors.map(\.name.count).max() ?? 0
        let shapes = tensors.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
        let shapeWidth = shapes.map(\.count).max() ?? 0
        return zip(tensors, shapes).map { t, shape in
            var line = "  \(pad(t.name, nameWidth))  \(pad(t.dtype, 7))  \(pad(shape, shapeWidth))"
            if let q = t.quantization {
                line +=
                    q.scales != nil
                    ? "  per-channel (\(q.scales!.count) scales, axis \(q.axis ?? 0))"
                    : "  scale \(q.scale) zero_point \(q.zero_point)"
            }
            return line.trimmingTrailingSpaces()
        }
    }

    static func humanBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : cFormat("%.1f", value) + " " + units[unit]
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
