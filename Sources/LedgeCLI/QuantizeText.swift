#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeQuantize

/// Output of `ledge quantize`: a short table, or the report as JSON.
enum QuantizeText {
    static func table(_ report: QuantizeReport) -> String {
        var rows: [(String, String)] = []
        rows.append(("model", "\(report.model) → \(report.output)"))
        if !report.config_files_copied.isEmpty {
            rows.append(("config files", "copied beside it: \(report.config_files_copied.joined(separator: ", "))"))
        }
        let ratio = Double(report.size_after) / Double(max(report.size_before, 1))
        rows.append(("size", "\(mb(report.size_before)) → \(mb(report.size_after)) (\(cFormat("%.2f", ratio))×)"))
        let mode = report.method.map { "\(report.mode), \($0) over \(report.calibration_inputs) inputs" } ?? report.mode
        rows.append(("quantization", mode))
        rows.append(("weights", "int8 per channel, symmetric, ±\(report.weight_limit)\(report.weight_limit < 127 ? " (--reduce-range)" : "")"))
        var prepared: [String] = []
        if report.constants_folded > 0 { prepared.append("\(report.constants_folded) Constant nodes → initializers") }
        if let from = report.opset_raised_from { prepared.append("opset \(from) → 13") }
        if report.batch_norms_folded > 0 { prepared.append("\(report.batch_norms_folded) BatchNormalization folded into Conv") }
        if report.biases_folded > 0 { prepared.append("\(report.biases_folded) Add folded into Conv bias") }
        if report.activations_folded > 0 { prepared.append("\(report.activations_folded) Relu/Clip folded into quantization") }
        if !prepared.isEmpty { rows.append(("prepared", prepared.joined(separator: "; "))) }
        let byOperator = report.quantizedByOperator.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        rows.append(("int8 nodes", "\(report.quantized_nodes.count) (\(byOperator))"))
        rows.append(("float nodes", "\(report.float_nodes.count)"))
        if let a = report.agreement {
            rows.append(("top-1 agreement", "\(percent(a.top1_percent)) of \(a.inputs) inputs (\(a.source))"))
            rows.append(("output |Δ|", cFormat("mean %.3g, max %.3g", a.mean_abs_diff, a.max_abs_diff)))
            if report.cpu_without_vnni && report.weight_limit == 127 {
                rows.append(("note", "this x86 CPU has AVX2 but no VNNI: its int8 kernels can saturate on ±127 weights; compare with --reduce-range"))
            }
        }
        if let l = report.latency {
            rows.append(
                (
                    "latency p50",
                    cFormat(
                        "float %.2f ms, int8 %.2f ms (%.2f×), %d runs, %d threads", l.float_p50_ms, l.int8_p50_ms, l.int8_p50_ms / l.float_p50_ms,
                        l.runs, l.threads)
                ))
        }
        rows.append(("time", cFormat("%.0f ms", report.quantize_ms)))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }

    static func json(_ report: QuantizeReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    static func percent(_ value: Double) -> String { cFormat("%.1f %%", value) }

    private static func mb(_ bytes: Int) -> String { cFormat("%.2f MB", Double(bytes) / 1_000_000) }
}
