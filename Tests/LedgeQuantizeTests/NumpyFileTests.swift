import Foundation
import LedgeCore
@testable import LedgeQuantize
import Testing

/// Calibration tensors NumPy saved: a NaN or infinity is named by file and position (it made
/// every range meaningless and ended in "no node could be quantized").
@Suite struct NumpyFileTests {
    /// An `np.save` file (format 1.0) of float32 `values` with `shape`.
    static func npy(_ values: [Float], shape: [Int]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    @Test func finiteValuesAreRead() throws {
        let path = NSTemporaryDirectory() + "ledge-npy-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.npy([1, 2, 3, 4], shape: [2, 2]).write(to: URL(fileURLWithPath: path))
        let tensor = try NumpyFile.read(path, expected: nil)
        #expect(tensor.shape == [2, 2])
        for bad in [Float.nan, .infinity] {
            try Self.npy([1, 2, bad, 4], shape: [2, 2]).write(to: URL(fileURLWithPath: path))
            #expect(throws: LedgeError.invalidInput("\(path): value 2 is \(bad): expected finite float32 values to calibrate with")) {
                try NumpyFile.read(path, expected: nil)
            }
        }
    }
}
