internal import LedgeCore

/// Number formatting shared by budgets, reports and plots (locale-independent).
enum Fmt {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
        return cFormat("%.\(decimals)f", value)
    }

    /// A duration given in milliseconds, e.g. `12.34 ms`, `850 us`, `2.10 s`.
    static func ms(_ value: Double) -> String {
        if value.isFinite, abs(value) >= 10_000 { return fixed(value / 1000, 2) + " s" }
        if value.isFinite, abs(value) < 0.1, value != 0 { return fixed(value * 1000, 1) + " us" }
        return fixed(value, 2) + " ms"
    }

    /// A byte count with decimal (1000-based) or binary (1024-based) units, e.g. `5.4 MB`, `812 B`.
    static func bytes(_ value: Double, binary: Bool = false) -> String {
        let base = binary ? 1024.0 : 1000.0
        let units = binary ? ["B", "KiB", "MiB", "GiB", "TiB"] : ["B", "KB", "MB", "GB", "TB"]
        var v = value
        var index = 0
        while abs(v) >= base, index < units.count - 1 {
            v /= base
            index += 1
        }
        return index == 0 ? fixed(v, 0) + " B" : fixed(v, 1) + " " + units[index]
    }

    /// Samples per second, e.g. `1234/s`, `56.7/s`.
    static func rate(_ value: Double) -> String {
        (abs(value) >= 100 ? fixed(value, 0) : fixed(value, 1)) + "/s"
    }

    /// A ratio, e.g. `×0.52`.
    static func ratio(_ value: Double) -> String { "×" + fixed(value, 2) }

    /// `part / whole` as a percentage, e.g. `22%`.
    static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 0) + "%" }
}
