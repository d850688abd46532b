public import LedgeCore

/// Kubernetes resource quantities (`500m`, `2`, `256Mi`, `1Gi`), checked before a manifest the
/// cluster would refuse is written.
public enum KubernetesQuantity {
    /// The suffixes Kubernetes takes and what each multiplies by.
    static let suffixes: [String: Double] = [
        "": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
        "Ki": 0x1p10, "Mi": 0x1p20, "Gi": 0x1p30, "Ti": 0x1p40, "Pi": 0x1p50, "Ei": 0x1p60,
    ]

    /// The value of `text` (`500m` is 0.5), or `nil` when it is no quantity.
    public static func value(_ text: String) -> Double? {
        let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !digits.isEmpty, digits.filter({ $0 == "." }).count <= 1, digits.first != ".", digits.last != ".",
            let number = Double(digits), let scale = suffixes[String(text.dropFirst(digits.count))]
        else { return nil }
        return number * scale
    }

    /// `REQUEST[,LIMIT]` (the limit defaults to the request): each a positive quantity, the request
    /// at most the limit — else a usage error naming `option` (as `--cpu`) with `example`.
    public static func requestAndLimit(_ text: String, option: String, example: String) throws -> (request: String, limit: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count) else {
            throw LedgeError.usage("\(option) '\(text)': expected REQUEST[,LIMIT], as \(example)")
        }
        for part in parts {
            guard let value = value(part), value > 0 else {
                throw LedgeError.usage("\(option) '\(text)': '\(part)' is no positive Kubernetes quantity: expected one as in \(example)")
            }
        }
        let (request, limit) = (parts[0], parts.count == 2 ? parts[1] : parts[0])
        if let low = value(request), let high = value(limit), low > high {
            throw LedgeError.usage("\(option) '\(text)': the request \(request) is more than the limit \(limit)")
        }
        return (request, limit)
    }
}
