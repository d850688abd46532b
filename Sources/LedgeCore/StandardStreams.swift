#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Unbuffered writes to the process's standard output and error (what
/// `FileHandle.standardError.write` did): all of `text` in one go, retried on EINTR.
public enum StandardStreams {
    /// Writes `text` to stderr.
    public static func writeError(_ text: String) { write(text, to: 2) }

    /// Writes `text` to stdout.
    public static func writeOutput(_ text: String) { write(text, to: 1) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { write($0, to: fd) }
    }

    /// Writes all of `bytes` to `fd` (blocking), retried on EINTR; stops at another error.
    static func write(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBufferPointer { write($0, to: fd) }
    }

    private static func write(_ buffer: UnsafeBufferPointer<UInt8>, to fd: Int32) {
        _ = writeAll(UnsafeRawBufferPointer(buffer), to: fd)
    }

    /// Writes all of `buffer` to `fd` (blocking), retried on EINTR: `false` when another error
    /// stopped it (`errno` says which). Any file, not only the standard streams.
    package static func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        var offset = 0
        while offset < buffer.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            #elseif canImport(Musl)
            let n = Musl.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            #else
            let n = Darwin.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            #endif
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return false }
        }
        return true
    }
}
