import CTurboJPEG
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LedgeCore

/// Owns a TurboJPEG decompressor handle.
final class TurboJPEGDecompressor {
    let handle: tjhandle

    init() throws {
        guard let handle = tjInitDecompress() else {
            throw LedgeError.runtimeFailure("cannot create a TurboJPEG decompressor")
        }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    /// TurboJPEG's message for the last failure on this handle.
    var lastError: String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}

/// JPEG decoding through TurboJPEG, with DCT-domain downscaling.
enum JPEGDecoding {
    /// Corrupt data, premature ends and libjpeg warnings all stop decoding;
    /// progressive files with absurd scan counts are refused.
    static let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS

    static func decode(
        _ data: Data, name: String, targetSize: ImageSize?, swapAxes: Bool,
        limits: ImageLimits
    ) throws -> RGBImage {
        let decompressor = try TurboJPEGDecompressor()
        return try data.withUnsafeBytes { raw -> RGBImage in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let base = bytes.baseAddress else {
                throw LedgeError.invalidInput("\(name): empty file, expected a JPEG or PNG image")
            }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard
                tjDecompressHeader3(
                    decompressor.handle, base, UInt(bytes.count),
                    &width, &height, &subsampling, &colorspace) == 0
            else {
                throw corrupt(name, decompressor.lastError)
            }
            try limits.check(width: Int(width), height: Int(height), name: name)
            guard width > 0, height > 0 else { throw corrupt(name, "no image size in header") }

            // Cover the target as seen after EXIF rotation.
            let target = targetSize.map { swapAxes ? ImageSize(width: $0.height, height: $0.width) : $0 }
            let factor = scalingFactor(width: Int(width), height: Int(height), covering: target)
            let w = scaled(Int(width), factor), h = scaled(Int(height), factor)

            let cmyk = colorspace == TJCS_CMYK.rawValue || colorspace == TJCS_YCCK.rawValue
            let format = cmyk ? TJPF_CMYK : TJPF_RGB
            let channels = cmyk ? 4 : 3
            var out = [UInt8](repeating: 0, count: w * h * channels)
            let rc = out.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    decompressor.handle, base, UInt(bytes.count), dst.baseAddress,
                    Int32(w), Int32(w * channels), Int32(h), format.rawValue, flags)
            }
            guard rc == 0 else { throw corrupt(name, decompressor.lastError) }
            if cmyk { out = cmykToRGB(out, count: w * h) }
            return RGBImage(unchecked: w, h, out)
        }
    }

    static func corrupt(_ name: String, _ message: String) -> LedgeError {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return LedgeError.invalidInput("\(name): corrupt or truncated JPEG (\(oneLine))")
    }

    /// `ceil(dimension * num / denom)`, as TurboJPEG's `TJSCALED`.
    static func scaled(_ dimension: Int, _ factor: (num: Int, denom: Int)) -> Int {
        (dimension * factor.num + factor.denom - 1) / factor.denom
    }

    /// The smallest of 1/8, 1/4, 1/2 whose exact scaled size still covers
    /// `target` on both axes, else 1/1: the rule of Pillow's `Image.draft`, so
    /// a DCT-scaled decode is reproducible in Python. (TurboJPEG's other
    /// factors, such as 3/4, would leave almost no margin for the resize's
    /// antialiasing and drift visibly from a full decode.)
    static func scalingFactor(width: Int, height: Int, covering target: ImageSize?) -> (num: Int, denom: Int) {
        guard let target, target.width > 0, target.height > 0 else { return (1, 1) }
        for denom in [8, 4, 2] where width >= target.width * denom && height >= target.height * denom {
            return (1, denom)
        }
        return (1, 1)
    }

    /// Pillow's reading of a CMYK JPEG: the stored values are Adobe-inverted
    /// (`CMYK;I`), then `convert('RGB')` computes `nk - nk*c/255` with `nk = 255 - k`.
    /// With stored values `C`, `K`: `R = K - round(K * (255 - C) / 255)`.
    static func cmykToRGB(_ cmyk: [UInt8], count: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: count * 3)
        cmyk.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let nk = Int(src[i * 4 + 3])
                    for c in 0..<3 {
                        let ink = 255 - Int(src[i * 4 + c])
                        let t = ink * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        dst[i * 3 + c] = UInt8(clamping: v)
                    }
                }
            }
        }
        return rgb
    }
}
