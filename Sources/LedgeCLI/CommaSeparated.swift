internal import ArgumentParser
internal import LedgeCore

/// A comma-separated option value, such as `--threads 1,2`: the distinct
/// values in the order given, parsed once, by ArgumentParser.
struct CommaSeparated<Element: ExpressibleByArgument & Hashable & Sendable>: ExpressibleByArgument, Sendable {
    /// The values, first occurrences only.
    var values: [Element]

    init(_ values: [Element]) {
        var seen = Set<Element>()
        self.values = values.filter { seen.insert($0).inserted }
    }

    /// `nil` when any part, trimmed of spaces, is not an `Element`.
    init?(argument: String) {
        var values: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Element(argument: part.trimmingWhitespace()) else { return nil }
            values.append(value)
        }
        self.init(values)
    }

    var defaultValueDescription: String { values.map(\.defaultValueDescription).joined(separator: ",") }

    /// An `@Option` transform: the list, or one line that says what was `expected`
    /// when a part does not parse or `isValid` refuses it.
    static func parser(expected: String, where isValid: @escaping @Sendable (Element) -> Bool = { _ in true })
        -> @Sendable (String) throws -> Self
    {
        { text in
            guard let list = Self(argument: text), list.values.allSatisfy(isValid) else { throw ValidationError("expected " + expected) }
            return list
        }
    }
}

extension CommaSeparated where Element == Int {
    /// An `@Option` transform for comma-separated integers in `range`.
    static func integers(in range: ClosedRange<Int>) -> @Sendable (String) throws -> Self {
        parser(
            expected: "comma-separated integers from \(range.lowerBound) to \(range.upperBound) (e.g. 1,2)",
            where: { range.contains($0) })
    }
}

/// An execution provider as `--provider` names it: not empty, any case (`CUDA` and `cuda` are one provider).
struct ProviderName: ExpressibleByArgument, Hashable, Sendable {
    /// The name as given.
    var name: String

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        name = argument
    }

    /// Whether this is the CPU.
    var isCPU: Bool { name.lowercased() == "cpu" }

    var defaultValueDescription: String { name }

    static func == (a: ProviderName, b: ProviderName) -> Bool { a.name.lowercased() == b.name.lowercased() }

    func hash(into hasher: inout Hasher) { hasher.combine(name.lowercased()) }
}
