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
