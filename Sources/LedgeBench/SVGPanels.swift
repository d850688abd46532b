#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The left panel: one horizontal box plot of steady-state latency per variant.
enum LatencyPanel {
    static func draw(_ variants: [VariantResult], in p: Panel, on svg: inout SVGWriter) {
        svg.text(x: p.x, y: p.y - 10, "Single-sample latency", size: 14, weight: "bold")
        let measured = variants.filter { $0.latency_ms.count > 0 }
        // Scale to the largest p99 (or max when it is not far off), so one outlier does not squash the rest.
        let top = measured.map { v in v.latency_ms.max <= 1.5 * v.latency_ms.p99 ? v.latency_ms.max : v.latency_ms.p99 }.max() ?? 1
        let scale = Scale(covering: measured.map(\.latency_ms.min) + [top])
        let ticks = scale.ticks
        let xMax = scale.hi
        func x(_ ms: Double) -> Double { p.x + p.w * scale.fraction(ms) }

        svg.rect(x: p.x, y: p.y, w: p.w, h: p.h, fill: "#fafafa", stroke: "#cccccc")
        for t in ticks {
            svg.line(x(t), p.y, x(t), p.bottom, stroke: "#e3e3e3")
            svg.text(x: x(t), y: p.bottom + 16, SVGPlot.label(t), size: 11, fill: "#444444", anchor: "middle")
        }
        svg.text(x: p.x + p.w / 2, y: p.bottom + 36, "latency (ms), batch 1\(scale.suffix)", size: 12, fill: "#222222", anchor: "middle")
        svg.text(
            x: p.x + p.w / 2, y: p.bottom + 52, "box p50–p90, whisker min–p99, ring max, dots = runs",
            size: 10, fill: "#666666", anchor: "middle")

        let row = (p.h - 20) / Double(Swift.max(variants.count, 1))
        for (i, v) in variants.enumerated() {
            let cy = p.y + 10 + row * (Double(i) + 0.5)
            let colour = SVGPlot.palette[i % SVGPlot.palette.count]
            svg.text(x: p.x - 10, y: cy + 4, short(v.label), size: 12, fill: "#222222", anchor: "end")
            let l = v.latency_ms
            guard l.count > 0 else {
                svg.text(x: p.x + 8, y: cy + 4, "no runs", size: 11, fill: "#888888")
                continue
            }
            drawSamples(v.samples, cy: cy, colour: colour, xMax: xMax, x: x, on: &svg)
            svg.line(x(l.min), cy, x(l.p99), cy, stroke: colour, width: 1.5)
            svg.line(x(l.min), cy - 6, x(l.min), cy + 6, stroke: colour, width: 1.5)
            svg.line(x(l.p99), cy - 6, x(l.p99), cy + 6, stroke: colour, width: 1.5)
            svg.rect(x: x(l.p50), y: cy - 9, w: Swift.max(x(l.p90) - x(l.p50), 1), h: 18, fill: colour, stroke: colour, opacity: 0.3)
            svg.line(x(l.p50), cy - 11, x(l.p50), cy + 11, stroke: colour, width: 3)
            if l.max <= xMax {
                svg.circle(x(l.max), cy, r: 3.5, fill: "#ffffff", stroke: colour)
            } else {
                svg.text(x: p.right - 4, y: cy + 4, "max \(Fmt.ms(l.max)) →", size: 10, fill: colour, anchor: "end")
            }
            svg.text(
                x: x(l.p50), y: cy + 22, "p50 \(Fmt.ms(l.p50))  p99 \(Fmt.ms(l.p99))", size: 10, fill: "#555555",
                anchor: x(l.p50) > p.x + p.w * 0.6 ? "end" : "start")
        }
    }

    /// Samples as faint dots with a deterministic vertical jitter; at most 1500 of them.
    static func drawSamples(
        _ samples: [Double], cy: Double, colour: String, xMax: Double, x: (Double) -> Double,
        on svg: inout SVGWriter
    ) {
        let finite = samples.filter { $0.isFinite && $0 >= 0 && $0 <= xMax }
        guard !finite.isEmpty else { return }
        let stride = Swift.max(1, finite.count / 1500)
        for (k, s) in finite.enumerated() where k % stride == 0 {
            let jitter = Double((k * 7919) % 17) - 8
            svg.circle(x(s), cy + jitter, r: 1.6, fill: colour, opacity: 0.22)
        }
    }

    static func short(_ label: String) -> String {
        label.count <= 27 ? label : String(label.prefix(13)) + "…" + String(label.suffix(13))
    }
}

/// The right panel: samples per second against batch size, a line per variant.
enum ThroughputPanel {
    static func draw(_ variants: [VariantResult], in p: Panel, on svg: inout SVGWriter) {
        svg.text(x: p.x, y: p.y - 10, "Throughput against batch size", size: 14, weight: "bold")
        svg.rect(x: p.x, y: p.y, w: p.w, h: p.h, fill: "#fafafa", stroke: "#cccccc")
        let points = variants.flatMap { $0.throughput }.filter { $0.batch > 0 && $0.samples_per_s.isFinite }
        svg.text(x: p.x + p.w / 2, y: p.bottom + 36, "batch size (log2 scale)", size: 12, fill: "#222222", anchor: "middle")
        let missing = variants.filter { v in !v.throughput.contains { $0.batch > 0 } }
        for (k, v) in missing.prefix(2).enumerated() {
            var note = "\(v.label): " + (v.batch_note ?? "no throughput measured")
            if note.count > 58 { note = String(note.prefix(57)) + "…" }
            svg.text(x: p.x, y: p.bottom + 66 + 13 * Double(k), note, size: 10, fill: "#666666")
        }
        guard !points.isEmpty else {
            svg.text(x: p.x + p.w / 2, y: p.y + p.h / 2, "no throughput measured", size: 12, fill: "#888888", anchor: "middle")
            return
        }
        let batches = Set(points.map(\.batch)).sorted()
        var lo = log2(Double(batches.first ?? 1)), hi = log2(Double(batches.last ?? 1))
        if hi - lo < 1 { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.06
        lo -= pad
        hi += pad
        let scale = Scale(covering: points.map(\.samples_per_s))
        svg.text(x: p.x - 48, y: p.y + p.h / 2, "samples/s\(scale.suffix)", size: 12, fill: "#222222", anchor: "middle", rotate: true)
        let yTicks = scale.ticks
        func x(_ batch: Int) -> Double { p.x + p.w * (log2(Double(batch)) - lo) / (hi - lo) }
        func y(_ fps: Double) -> Double { p.bottom - p.h * scale.fraction(fps) }

        for t in yTicks {
            svg.line(p.x, y(t), p.right, y(t), stroke: "#e3e3e3")
            svg.text(x: p.x - 6, y: y(t) + 4, SVGPlot.label(t), size: 11, fill: "#444444", anchor: "end")
        }
        for b in batches {
            svg.line(x(b), p.y, x(b), p.bottom, stroke: "#e3e3e3")
            svg.text(x: x(b), y: p.bottom + 16, "\(b)", size: 11, fill: "#444444", anchor: "middle")
        }
        for (i, v) in variants.enumerated() {
            let colour = SVGPlot.palette[i % SVGPlot.palette.count]
            let single = v.throughput.filter { $0.instances == 1 && $0.batch > 0 }.sorted { $0.batch < $1.batch }
            if single.count > 1 { svg.polyline(single.map { (x($0.batch), y($0.samples_per_s)) }, stroke: colour) }
            for point in single { svg.circle(x(point.batch), y(point.samples_per_s), r: 4, fill: colour) }
            for point in v.throughput where point.instances > 1 && point.batch > 0 {
                svg.circle(x(point.batch), y(point.samples_per_s), r: 5, fill: "none", stroke: colour)
            }
        }
        let instances = Set(points.map(\.instances).filter { $0 > 1 }).sorted()
        if !instances.isEmpty {
            let counts = instances.map(String.init).joined(separator: ", ")
            svg.text(
                x: p.x + p.w / 2, y: p.bottom + 52, "filled: one session; hollow: \(counts) sessions in parallel",
                size: 10, fill: "#666666", anchor: "middle")
        }
    }
}
