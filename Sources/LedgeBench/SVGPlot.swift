#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import LedgeCore

/// A self-contained SVG chart of a bench report (no external fonts or scripts):
/// on the left the latency distribution of each variant (a horizontal box plot:
/// whisker min–p99, box p50–p90, a thick p50 mark, the samples as faint dots,
/// `max` as a ring or an arrow when off-scale); on the right throughput against
/// batch size (one line per variant, log2 batch axis, hollow markers for
/// multi-instance points).
public enum SVGPlot {
    /// Colour-blind-safe colours (Okabe–Ito), one per variant in order.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]

    static let width = 1000.0
    static let panelTop = 96.0
    static let rowHeight = 46.0

    /// The SVG document for `report`.
    public static func render(_ report: BenchReport) -> String {
        let variants = report.variants
        let plotHeight = Swift.max(220, rowHeight * Double(Swift.max(variants.count, 1)) + 20)
        let legendTop = panelTop + plotHeight + 100
        let legend = variants.map(legendLines)
        let legendHeight = legend.reduce(0.0) { $0 + 22 + 16 * Double($1.count - 1) }
        let height = legendTop + Swift.max(legendHeight, 22) + 16
        var svg = SVGWriter()
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.raw(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">"
        )
        svg.rect(x: 0, y: 0, w: width, h: height, fill: "#ffffff")
        svg.text(x: 24, y: 32, "ledge bench: latency and throughput", size: 18, weight: "bold")
        var subtitle = "ledge \(report.ledge_version)"
        if let budget = report.budget {
            subtitle += ", budget \(budget): " + (report.passed ? "all variants pass" : "FAIL")
        }
        svg.text(x: 24, y: 52, subtitle, size: 12, fill: "#555555")

        let left = Panel(x: 200, y: panelTop, w: 370, h: plotHeight)
        let right = Panel(x: 650, y: panelTop, w: 320, h: plotHeight)
        LatencyPanel.draw(variants, in: left, on: &svg)
        ThroughputPanel.draw(variants, in: right, on: &svg)

        var y = legendTop
        for (i, v) in variants.enumerated() {
            svg.rect(x: 24, y: y - 10, w: 14, h: 14, fill: palette[i % palette.count])
            let failed = v.budget?.passed == false
            for (k, line) in legend[i].enumerated() {
                svg.text(x: k == 0 ? 46 : 62, y: y + 1, line, size: k == 0 ? 12 : 11, fill: failed ? "#B00020" : "#222222")
                y += k == legend[i].count - 1 ? 22 : 16
            }
        }
        if variants.isEmpty { svg.text(x: 24, y: legendTop, "no variants", size: 12, fill: "#555555") }
        svg.raw("</svg>")
        return svg.output + "\n"
    }

    /// The legend of one variant: a summary line, then its budget failures wrapped to the chart's width.
    static func legendLines(_ v: VariantResult) -> [String] {
        let runs = "\(v.latency_ms.count) run" + (v.latency_ms.count == 1 ? "" : "s")
        var first = "\(v.label): \(v.runtime) \(v.runtime_version), \(Fmt.bytes(Double(v.size_bytes))), p50 \(Fmt.ms(v.latency_ms.p50)) over \(runs)"
        if let verdict = v.budget { first += verdict.passed ? ", PASS" : ", FAIL:" }
        var lines = [clip(first, 150)]
        var current = ""
        for failure in v.budget?.failures ?? [] {
            let item = clip(failure, 150)
            if !current.isEmpty, current.count + item.count + 2 > 150 {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : "; ") + item
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// A number for an SVG attribute: at most 2 decimals, no trailing zeros.
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        var s = cFormat("%.2f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// Round tick values covering 0...maximum (about `count` of them).
    static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 1] }
        let raw = maximum / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let last = (maximum / step).rounded(.up) * step
        return stride(from: 0.0, through: last + step * 0.001, by: step).map { $0 }
    }

    /// A tick label: `200k`, `1.5M`, integers plain, otherwise up to 3 significant digits.
    static func label(_ value: Double) -> String {
        if abs(value) >= 1e6 { return cFormat("%g", value / 1e6) + "M" }
        if abs(value) >= 1e4 { return cFormat("%g", value / 1e3) + "k" }
        if value == value.rounded() { return String(Int(value)) }
        return cFormat("%.3g", value)
    }
}

/// A plotting area in SVG coordinates.
struct Panel {
    let x: Double, y: Double, w: Double, h: Double
    var bottom: Double { y + h }
    var right: Double { x + w }
}

/// Accumulates SVG markup, escaping text for XML.
struct SVGWriter {
    private(set) var output = ""

    mutating func raw(_ markup: String) { output += markup + "\n" }

    static func escape(_ text: String) -> String {
        var s = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": s += "&amp;"
            case "<": s += "&lt;"
            case ">": s += "&gt;"
            case "\"": s += "&quot;"
            case "'": s += "&apos;"
            default:
                // XML 1.0 forbids most control characters even escaped.
                if c.value < 0x20, c != "\t", c != "\n", c != "\r" { s += "?" } else { s.unicodeScalars.append(c) }
            }
        }
        return s
    }

    mutating func text(
        x: Double, y: Double, _ content: String, size: Double = 12, fill: String = "#222222",
        anchor: String = "start", weight: String = "normal", rotate: Bool = false
    ) {
        let transform = rotate ? " transform=\"rotate(-90 \(SVGPlot.n(x)) \(SVGPlot.n(y)))\"" : ""
        let w = weight == "normal" ? "" : " font-weight=\"\(weight)\""
        raw(
            "<text x=\"\(SVGPlot.n(x))\" y=\"\(SVGPlot.n(y))\" font-size=\"\(SVGPlot.n(size))\" fill=\"\(fill)\" text-anchor=\"\(anchor)\"\(w)\(transform)>\(Self.escape(content))</text>"
        )
    }

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
        let s = stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? ""
        let o = opacity < 1 ? " fill-opacity=\"\(SVGPlot.n(opacity))\"" : ""
        raw(
            "<rect x=\"\(SVGPlot.n(x))\" y=\"\(SVGPlot.n(y))\" width=\"\(SVGPlot.n(Swift.max(w, 0)))\" height=\"\(SVGPlot.n(Swift.max(h, 0)))\" fill=\"\(fill)\"\(o)\(s)/>"
        )
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        raw(
            "<line x1=\"\(SVGPlot.n(x1))\" y1=\"\(SVGPlot.n(y1))\" x2=\"\(SVGPlot.n(x2))\" y2=\"\(SVGPlot.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(SVGPlot.n(width))\"\(d)/>"
        )
    }

    mutating func circle(_ cx: Double, _ cy: Double, r: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
        let s = stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? ""
        let o = opacity < 1 ? " fill-opacity=\"\(SVGPlot.n(opacity))\"" : ""
        raw("<circle cx=\"\(SVGPlot.n(cx))\" cy=\"\(SVGPlot.n(cy))\" r=\"\(SVGPlot.n(r))\" fill=\"\(fill)\"\(o)\(s)/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
        let p = points.map { "\(SVGPlot.n($0.0)),\(SVGPlot.n($0.1))" }.joined(separator: " ")
        raw("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(SVGPlot.n(width))\" stroke-linejoin=\"round\"/>")
    }
}
