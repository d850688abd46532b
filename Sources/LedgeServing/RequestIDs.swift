/// Request ids as every transport takes them from clients (HTTP's `X-Request-Id`, gRPC's
/// `x-request-id` metadata): only ids that are safe to log and echo are kept.
package enum RequestIDs {
    /// `value` when it is 1–128 characters of `A-Z a-z 0-9 . _ -`, else `nil`.
    package static func sane(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            })
        else { return nil }
        return value
    }
}
