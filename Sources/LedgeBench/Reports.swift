internal import LedgeCore

/// The output formats of `ledge bench`.
public enum BenchFormat: String, Sendable, CaseIterable {
    /// Aligned columns for a terminal.
    case table
    /// The documented, stable JSON schema (pretty, sorted keys).
    case json
    /// A header row and one row per variant.
    case csv
    /// A GitHub table with the budget failures under it.
    case markdown
}

/// Renders `report` in `format`; `color` adds ANSI colours to the table (only for a TTY).
public func render(_ report: BenchReport, format: BenchFormat, color: Bool = false) throws -> String {
    switch format {
    case .table: return TableReport.render(report, color: color)
    case .json: return try JSONReport.render(report)
    case .csv: return CSVReport.render(report)
    case .markdown: return MarkdownReport.render(report)
    }
}

/// The aligned terminal table.
enum TableReport {
    static let green = "\u{1B}[32m", red = "\u{1B}[31m", dim = "\u{1B}[2m", bold = "\u{1B}[1m", reset = "\u{1B}[0m"

    static func render(_ report: BenchReport, color: Bool) -> String {
        let table = ReportRows(report)
        let all = [table.columns.map(\.title)] + table.rows
        let widths = table.columns.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String], header: Bool) -> String {
            let padded = cells.enumerated().map { c, cell -> String in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                var text = cell
                if color {
                    if header {
                        text = bold + text + reset
                    } else if c == table.verdictColumn, cell == "PASS" || cell == "FAIL" {
                        text = (cell == "PASS" ? green : red) + text + reset
                    } else if c == table.ratioColumn {
                        text = dim + text + reset
                    }
                }
                return table.columns[c].right ? pad + text : text + pad
            }
            var joined = padded.joined(separator: "  ")
            while joined.hasSuffix(" ") { joined.removeLast() }
            return joined
        }
        var lines = [line(table.columns.map(\.title), header: true)]
        lines += table.rows.map { line($0, header: false) }
        var details = ReportRows.details(report)
        if color {
            // Budget failures in red: the indented lines of the `budget` section.
            var inBudget = false
            for i in details.indices {
                if !details[i].hasPrefix(" ") {
                    inBudget = details[i].hasPrefix("budget ")
                } else if inBudget {
                    details[i] = red + details[i] + reset
                }
            }
        }
        if !details.isEmpty { lines += [""] + details }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The GitHub-flavoured markdown report.
enum MarkdownReport {
    static func render(_ report: BenchReport) -> String {
        let table = ReportRows(report)
        func escape(_ s: String) -> String { s.replacing(scalar: "|", with: "\\|") }
        var lines = ["| " + table.columns.map(\.title).joined(separator: " | ") + " |"]
        lines.append("|" + table.columns.map { $0.right ? " ---: |" : " --- |" }.joined())
        for row in table.rows {
            let cells = row.enumerated().map { c, cell in
                c == table.verdictColumn && (cell == "PASS" || cell == "FAIL") ? "**\(cell)**" : escape(cell)
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        let details = ReportRows.details(report, bullet: "- ", code: { "`\($0)`" })
        if !details.isEmpty {
            for line in details {
                // Section titles become paragraphs followed by their list items.
                if line.hasPrefix("- ") {
                    lines.append(line)
                } else {
                    lines += ["", line, ""]
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
