#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

/// `BYTES` tensor elements as the protocol lays them out in raw bytes (the binary tensor
/// data extension, gRPC's raw contents, shared memory): each a 4-byte little-endian
/// length, then its bytes.
package enum BytesElements {
    /// `strings` as `BYTES` elements.
    package static func encode(_ strings: [String]) -> Data {
        var data = Data()
        data.reserveCapacity(strings.reduce(0) { $0 + 4 + $1.utf8.count })
        append(strings, to: &data)
        return data
    }

    /// Appends `strings` as `BYTES` elements to `data`.
    package static func append(_ strings: [String], to data: inout Data) {
        for string in strings {
            withUnsafeBytes(of: UInt32(string.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: string.utf8)
        }
    }
}
