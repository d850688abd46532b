/// A W3C Trace Context `traceparent` (`VERSION-TRACEID-PARENTID-FLAGS`, e.g.
/// `00-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01`), sent by a client that traces the
/// call itself: in OpenTelemetry mode the request's spans join that trace, under that span.
public struct TraceParent: Sendable, Equatable {
    /// 16 bytes, not all zero.
    public var traceID: [UInt8]
    /// The caller's span: 8 bytes, not all zero.
    public var spanID: [UInt8]
    public var flags: UInt8

    /// The header's value, or `nil` when it is not a valid `traceparent` (the request then starts
    /// a trace of its own, as the specification says).
    public init?(header: String?) {
        guard let header else { return nil }
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, let version = Self.hex(parts[0], count: 1)?.first, version != 0xff,
            version != 0 || parts.count == 4,  // version 00 has exactly four fields; later ones may add some
            let traceID = Self.hex(parts[1], count: 16), traceID.contains(where: { $0 != 0 }),
            let spanID = Self.hex(parts[2], count: 8), spanID.contains(where: { $0 != 0 }),
            let flags = Self.hex(parts[3], count: 1)?.first
        else { return nil }
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
    }

    /// `count` bytes from exactly `count * 2` lowercase hex digits, else `nil`.
    static func hex(_ text: Substring, count: Int) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == count * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
