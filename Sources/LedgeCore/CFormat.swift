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
    withVaList(arguments) { first in
        var small = [CChar](repeating: 0, count: 64)
        let needed = Int(vsnprintf(&small, small.count, format, first))
        guard needed >= small.count else { return String(cString: small) }
        return withVaList(arguments) { again in
            var large = [CChar](repeating: 0, count: needed + 1)
            _ = vsnprintf(&large, large.count, format, again)
            return String(cString: large)
        }
    }
}
