#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import LedgeCore

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

    /// `datas` as `BYTES` elements.
    package static func encode(_ datas: [Data]) -> Data {
        var data = Data()
        data.reserveCapacity(datas.reduce(0) { $0 + 4 + $1.count })
        for element in datas {
            withUnsafeBytes(of: UInt32(element.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(element)
        }
        return data
    }

    /// The `count` elements of `data`, which must hold exactly those; errors name `tensor` (`input 'x'`).
    package static func decode(_ data: Data, count: Int, of tensor: String) throws -> [Data] {
        var elements: [Data] = []
        var offset = data.startIndex
        while offset < data.endIndex {
            guard elements.count < count else {
                throw LedgeError.invalidInput("\(tensor): more BYTES elements than its shape's \(count)")
            }
            guard data.endIndex - offset >= 4 else {
                throw LedgeError.invalidInput(
                    "\(tensor): BYTES element \(elements.count) is cut short: \(data.endIndex - offset) bytes where its 4-byte length goes")
            }
            let length = data[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard data.endIndex - offset >= length else {
                throw LedgeError.invalidInput(
                    "\(tensor): BYTES element \(elements.count) says \(length) bytes, \(data.endIndex - offset) are left")
            }
            elements.append(data[offset..<offset + length])
            offset += length
        }
        guard elements.count == count else {
            throw LedgeError.invalidInput("\(tensor): \(elements.count) BYTES elements, its shape says \(count)")
        }
        return elements
    }
}
