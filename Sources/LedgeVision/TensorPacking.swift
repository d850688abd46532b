import LedgeCore

/// Writing one image into its slot of a batch tensor.
extension ImagePreprocessor {
    /// Pillow's `convert('L')`: ITU-R 601-2 luma in 16-bit fixed point.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471 + 0x8000) >> 16)
    }

    func write(_ image: RGBImage, batchIndex n: Int, into raw: UnsafeMutableRawBufferPointer) {
        let plane = size.width * size.height, perImage = plane * channels
        // Element index of channel `c` of pixel `p` (row-major within the image).
        let nhwc = layout == .nhwc, base = n * perImage, c3 = channels
        image.pixels.withUnsafeBufferPointer { src in
            func level(_ p: Int, _ c: Int) -> UInt8 {
                c3 == 3 ? src[p * 3 + c] : Self.luma(src[p * 3], src[p * 3 + 1], src[p * 3 + 2])
            }
            func index(_ p: Int, _ c: Int) -> Int { base + (nhwc ? p * c3 + c : c * plane + p) }
            switch dtype {
            case .uint8:
                let out = raw.bindMemory(to: UInt8.self)
                for p in 0..<plane { for c in 0..<c3 { out[index(p, c)] = level(p, c) } }
            case .int8:
                let out = raw.bindMemory(to: Int8.self)
                for p in 0..<plane { for c in 0..<c3 { out[index(p, c)] = Int8(Int(level(p, c)) - 128) } }
            case .float16:
                let out = raw.bindMemory(to: UInt16.self)
                let half = lookup.map { $0.map { Float16($0).bitPattern } }
                for p in 0..<plane { for c in 0..<c3 { out[index(p, c)] = half[c][Int(level(p, c))] } }
            default:
                let out = raw.bindMemory(to: Float.self)
                for p in 0..<plane { for c in 0..<c3 { out[index(p, c)] = lookup[c][Int(level(p, c))] } }
            }
        }
    }
}
