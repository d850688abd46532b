extension StringProtocol {
    /// The text without leading and trailing spaces and tabs: the characters of
    /// Foundation's `CharacterSet.whitespaces` (Unicode Zs, tab and U+200B).
    public func trimmingWhitespace() -> String { trimming(where: Self.isWhitespace) }

    /// The text without leading and trailing whitespace and line breaks (Foundation's
    /// `CharacterSet.whitespacesAndNewlines`).
    public func trimmingWhitespaceAndNewlines() -> String {
        trimming { Self.isWhitespace($0) || Self.isNewline($0) }
    }

    /// The text with every `scalar` replaced by `replacement` (Foundation's
    /// `replacingOccurrences(of:with:)` for a one-scalar target: "\n" in "\r\n" counts).
    public func replacing(scalar: Unicode.Scalar, with replacement: String) -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for s in unicodeScalars {
            if s == scalar { result += replacement } else { result.unicodeScalars.append(s) }
        }
        return result
    }

    private func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    private static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    private static func isNewline(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
