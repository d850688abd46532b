import LedgeCompression
import LedgeCore
import Testing

/// Whole-body inflate with a bound: round trips, the bound against a small
/// body that inflates to a large one, and damaged data, each with its message.
@Suite struct BoundedInflateTests {
    let text = Array(#"{"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}"#.utf8)

    func inflate(_ data: [UInt8], _ format: Inflater.Format, limit: Int = 1 << 20) throws -> [UInt8] {
        try data.withUnsafeBytes { try Inflater.whole($0, format: format, limit: limit, label: "body", tooLargeHint: "--max-body-size") }
    }

    @Test(arguments: [Inflater.Format.gzip, .zlib, .raw])
    func roundTrip(format: Inflater.Format) throws {
        let packed = try Deflater.compress(text, format: format, level: 6)
        #expect(packed != text)
        #expect(try inflate(packed, format) == text)
        // Larger than the first guess of the output's size: the buffer grows.
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        #expect(try inflate(try Deflater.compress(large, format: format, level: 1), format) == large)
        #expect(try inflate(try Deflater.compress([], format: format, level: 6), format) == [])
    }

    @Test func limitHoldsAgainstABomb() throws {
        let bomb = try Deflater.compress([UInt8](repeating: 0, count: 8 << 20), format: .gzip, level: 9)
        #expect(bomb.count < 10_000)
        #expect(throws: LedgeError(.tooLarge, "body: inflates past the limit of 1048576 bytes (--max-body-size)")) {
            try inflate(bomb, .gzip)
        }
        // Exactly at the limit is fine.
        #expect(try inflate(try Deflater.compress([UInt8](repeating: 7, count: 4096), format: .zlib, level: 9), .zlib, limit: 4096).count == 4096)
        #expect(throws: LedgeError(.tooLarge, "body: inflates past the limit of 4095 bytes (--max-body-size)")) {
            try inflate(try Deflater.compress([UInt8](repeating: 7, count: 4096), format: .zlib, level: 9), .zlib, limit: 4095)
        }
    }

    @Test func damagedData() throws {
        let packed = try Deflater.compress(text, format: .gzip, level: 6)
        #expect(throws: LedgeError.invalidInput("body: the gzip data is truncated")) { try inflate(Array(packed.prefix(packed.count / 2)), .gzip) }
        #expect(throws: LedgeError.invalidInput("body: 3 bytes follow the end of the gzip data")) { try inflate(packed + [1, 2, 3], .gzip) }
        #expect(throws: LedgeError.invalidInput("body: corrupt gzip data (incorrect header check)")) { try inflate(text, .gzip) }
        #expect(throws: LedgeError.invalidInput("body: corrupt deflate data (incorrect header check)")) { try inflate(packed, .zlib) }
        #expect(throws: LedgeError.invalidInput("body: the deflate data is truncated")) { try inflate([], .zlib) }
        var flipped = packed
        flipped[packed.count - 6] ^= 0x10  // inside the CRC-32 trailer
        #expect(throws: LedgeError.invalidInput("body: corrupt gzip data (incorrect data check)")) { try inflate(flipped, .gzip) }
    }

    /// Every cut of a good stream is "truncated", and seeded garbage only ever throws: no hang, no crash.
    @Test(arguments: [Inflater.Format.gzip, .zlib, .raw])
    func everyCutAndGarbage(format: Inflater.Format) throws {
        let packed = try Deflater.compress(text, format: format, level: 6)
        let name = format == .gzip ? "gzip" : "deflate"
        for length in 0..<packed.count {
            #expect(throws: LedgeError.invalidInput("body: the \(name) data is truncated")) { try inflate(Array(packed.prefix(length)), format) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let count = Int(state >> 54)
            let garbage = (0..<count).map { UInt8(truncatingIfNeeded: (state &+ UInt64($0) &* 0x2545_F491_4F6C_DD1D) >> 29) }
            do {
                let out = try inflate(garbage, format, limit: 1 << 16)
                #expect(out.count <= 1 << 16)
            } catch let error as LedgeError {
                #expect(error.code == .invalidInput || error.code == .tooLarge, "\(error)")
            }
        }
    }
}
