#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// `printf`-style formatting in the C locale, e.g. `cFormat("%.2f", 1.005)`, `cFormat("%02x", byte)`.
///
/// What Foundation's `String(format:)` prints for the numeric conversions we use
/// (`%f`, `%g`, `%x`, `%d` with flags, width and precision); no `%@`.
public func cFormat(_ format: String, _ arguments: any CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    var length = Int(withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) })
    if length >= buffer.count {
        buffer = [CChar](repeating: 0, count: length + 1)
        length = Int(withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) })
    }
    return String(decoding: buffer.prefix(max(length, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Now in UTC as `2025-01-31T12:34:56.789Z` (milliseconds truncated): `Date.ISO8601FormatStyle`'s
/// text with fractional seconds, without Foundation's formatter (a log line's timestamp).
public func iso8601UTCNow() -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return iso8601UTC(seconds: Int(now.tv_sec), milliseconds: Int(now.tv_nsec) / 1_000_000)
}

/// `seconds` since 1970 and `milliseconds` as `2025-01-31T12:34:56.789Z`.
public func iso8601UTC(seconds: Int, milliseconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func digits(_ value: Int32, _ count: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(count - text.count, 0)) + text
    }
    return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2) + "T"
        + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
        + digits(Int32(milliseconds), 3) + "Z"
}
