public import LedgeCore

/// Writing one image into its slot of a batch tensor.
extension ImagePreprocessor {
    /// Pillow's `convert('L')`: ITU-R 601-2 luma in 16-bit fixed point.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471 + 0x8000) >> 16)
    }

    /// Writes `image` (already at ``size``) as batch item `n` of the tensor bytes `raw`.
    func write(_ image: RGBImage, batchIndex n: Int, into raw: UnsafeMutableRawBufferPointer) {
        let plane = size.width * size.height, c3 = channels
        let levels: [UInt8]  // one level per element, in NHWC order
        if c3 == 3 {
            levels = image.pixels
        } else {
            levels = (0..<plane).map { p in
                Self.luma(image.pixels[p * 3], image.pixels[p * 3 + 1], image.pixels[p * 3 + 2])
            }
        }
        levels.withUnsafeBufferPointer { srcBuffer in
            guard let src = srcBuffer.baseAddress, let base = raw.baseAddress else { return }
            switch dtype {
            case .uint8:
                let out = base.assumingMemoryBound(to: UInt8.self) + n * plane * c3
                if layout == .nhwc {
                    out.update(from: src, count: plane * c3)
                } else {
                    Self.planar(src, plane: plane, channels: c3) { c, p, v in out[c * plane + p] = v }
                }
            case .int8:
                let out = base.assumingMemoryBound(to: Int8.self) + n * plane * c3
                let convert = { (v: UInt8) in Int8(truncatingIfNeeded: Int(v) - 128) }
                if layout == .nhwc {
                    for i in 0..<plane * c3 { out[i] = convert(src[i]) }
                } else {
                    Self.planar(src, plane: plane, channels: c3) { c, p, v in out[c * plane + p] = convert(v) }
                }
            case .float16:
                let table = lookup.flatMap { $0.map { Float16($0).bitPattern } }
                let out = base.assumingMemoryBound(to: UInt16.self) + n * plane * c3
                Self.mapped(src, table: table, into: out, plane: plane, channels: c3, nhwc: layout == .nhwc)
            default:
                let table = lookup.flatMap { $0 }
                let out = base.assumingMemoryBound(to: Float.self) + n * plane * c3
                Self.mapped(src, table: table, into: out, plane: plane, channels: c3, nhwc: layout == .nhwc)
            }
        }
    }

    /// Visits interleaved levels as (channel, pixel, value), channel-major, for planar layouts.
    @inline(__always)
    static func planar(_ src: UnsafePointer<UInt8>, plane: Int, channels: Int, _ body: (Int, Int, UInt8) -> Void) {
        for c in 0..<channels {
            for p in 0..<plane { body(c, p, src[p * channels + c]) }
        }
    }

    /// Converts levels through a per-channel 256-entry table (`table[c * 256 + level]`).
    static func mapped<T>(
        _ src: UnsafePointer<UInt8>, table: [T], into out: UnsafeMutablePointer<T>,
        plane: Int, channels: Int, nhwc: Bool
    ) {
        table.withUnsafeBufferPointer { tableBuffer in
            guard let lut = tableBuffer.baseAddress else { return }
            if nhwc {
                for p in 0..<plane {
                    for c in 0..<channels { out[p * channels + c] = lut[c * 256 + Int(src[p * channels + c])] }
                }
            } else {
                for c in 0..<channels {
                    let channelLUT = lut + c * 256, channelOut = out + c * plane
                    for p in 0..<plane { channelOut[p] = channelLUT[Int(src[p * channels + c])] }
                }
            }
        }
    }
}
