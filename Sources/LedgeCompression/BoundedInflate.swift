internal import LedgeCore

extension Inflater {
    /// The whole of `input` inflated, at most `limit` bytes of it.
    ///
    /// For bodies a client compressed (`Content-Encoding`): a few hundred bytes
    /// can inflate to gigabytes, so the output grows only up to `limit` and the
    /// call stops there. Errors name `label`: ``LedgeError/Code/tooLarge`` past
    /// the limit (`tooLargeHint` says which limit), ``LedgeError/Code/invalidInput``
    /// for corrupt, truncated or trailing data.
    public static func whole(
        _ input: UnsafeRawBufferPointer, format: Format, limit: Int, label: String, tooLargeHint: String
    ) throws -> [UInt8] {
        let inflater = try Inflater(format: format)
        var output = [UInt8](repeating: 0, count: min(max(input.count * 4, 4096), limit + 1))
        var read = 0
        var written = 0
        while true {
            let (consumed, produced) = try output.withUnsafeMutableBytes { buffer in
                try inflater.inflate(
                    UnsafeRawBufferPointer(rebasing: input[read...]), into: UnsafeMutableRawBufferPointer(rebasing: buffer[written...]),
                    label: label)
            }
            read += consumed
            written += produced
            if written > limit {
                throw LedgeError(.tooLarge, "\(label): inflates past the limit of \(limit) bytes (\(tooLargeHint))")
            }
            if inflater.ended {
                guard read == input.count else {
                    throw LedgeError.invalidInput("\(label): \(input.count - read) bytes follow the end of the \(format.name) data")
                }
                output.removeSubrange(written...)
                return output
            }
            if written == output.count {
                // Full: grow (geometrically, never past one byte over the limit, which is enough to refuse).
                output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
            } else if consumed == 0 && produced == 0 {
                throw LedgeError.invalidInput("\(label): the \(format.name) data is truncated")
            }
        }
    }
}
