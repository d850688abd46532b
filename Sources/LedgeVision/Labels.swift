import LedgeCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Class labels read from a text file.
public enum Labels {
    /// Reads one label per line from `path`.
    ///
    /// Whitespace and CR are trimmed and trailing empty lines skipped. When
    /// every line reads `index label` or `index: label`, labels go to their
    /// index (gaps become empty strings); otherwise line order is class order.
    public static func load(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("labels file not found or unreadable: \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LedgeError.invalidInput("\(path): labels file is not UTF-8 text")
        }
        let labels = parse(text)
        guard !labels.isEmpty else {
            throw LedgeError.invalidInput("\(path): empty labels file, expected one label per line")
        }
        return labels
    }

    /// Parses labels from text, as ``load(path:)`` does.
    public static func parse(_ text: String) -> [String] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingWhitespaceAndNewlines() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        let indexed = lines.map(indexedLabel)
        guard !lines.isEmpty, indexed.allSatisfy({ $0 != nil }) else { return lines }
        let pairs = indexed.compactMap { $0 }
        guard let top = pairs.map(\.index).max(), top < 1_000_000 else { return lines }
        var labels = [String](repeating: "", count: top + 1)
        for pair in pairs { labels[pair.index] = pair.label }
        return labels
    }

    /// `12 label` or `12: label` → (12, "label").
    private static func indexedLabel(_ line: String) -> (index: Int, label: String)? {
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let index = Int(digits) else { return nil }
        var rest = line.dropFirst(digits.count)
        guard let first = rest.first, first == ":" || first == " " || first == "\t" else { return nil }
        if first == ":" { rest = rest.dropFirst() }
        let label = rest.trimmingWhitespace()
        return label.isEmpty ? nil : (index, label)
    }
}

/// The `k` highest scores with their indices, best first. Equal scores keep
/// the lower index first; NaN ranks last; `k` beyond the count returns all.
public func topK(_ scores: [Float], k: Int) -> [(index: Int, score: Float)] {
    guard k > 0 else { return [] }
    let order = scores.indices.sorted { a, b in
        let x = scores[a], y = scores[b]
        if x.isNaN != y.isNaN { return y.isNaN }
        if !x.isNaN && x != y { return x > y }
        return a < b
    }
    return order.prefix(k).map { (index: $0, score: scores[$0]) }
}
