#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The EXIF orientation of a JPEG (TIFF tag 0x0112 in IFD0 of the APP1 `Exif`
/// segment), with the transform that shows the image upright, as Pillow's
/// `ImageOps.exif_transpose` does.
public enum EXIFOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, down = 3, downMirrored = 4
    case leftMirrored = 5, right = 6, rightMirrored = 7, left = 8

    /// Whether the upright image has width and height swapped (orientations 5–8).
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The orientation that `data` (a JPEG) declares; `.up` when it has none
    /// or the EXIF block is malformed. Every read is bounds-checked.
    public static func read(fromJPEG data: Data) -> EXIFOrientation {
        let bytes = [UInt8](data.prefix(256 * 1024))  // metadata precedes the scan
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break }  // start of scan / end of image
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { break }
            let body = i + 4, end = i + 2 + length
            if marker == 0xE1, end - body >= 6, bytes[body..<body + 6].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                if let value = tiffOrientation(bytes[(body + 6)..<end]) { return value }
            }
            i = end
        }
        return .up
    }

    /// Orientation from a TIFF block (`II*\0` or `MM\0*`), or `nil`.
    static func tiffOrientation(_ tiff: ArraySlice<UInt8>) -> EXIFOrientation? {
        let t = Array(tiff)
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= t.count else { return nil }
            return little ? Int(t[at]) | Int(t[at + 1]) << 8 : Int(t[at]) << 8 | Int(t[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for n in 0..<entries {
            let entry = ifd + 2 + n * 12
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            guard tag == 0x0112 else { continue }
            // SHORT (3) as the standard says; tolerate LONG (4).
            let value = type == 4 ? u32(entry + 8) : u16(entry + 8)
            return value.flatMap(EXIFOrientation.init(rawValue:))
        }
        return nil
    }

    /// `image` turned upright.
    public func apply(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let w = image.width, h = image.height
        let outW = swapsAxes ? h : w, outH = swapsAxes ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        let (sx, sy) = source(x: x, y: y, width: w, height: h)
                        let s = (sy * w + sx) * 3, d = (y * outW + x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(unchecked: outW, outH, out)
    }

    /// The stored pixel shown at upright position (`x`, `y`).
    private func source(x: Int, y: Int, width w: Int, height h: Int) -> (Int, Int) {
        switch self {
        case .up: return (x, y)
        case .mirrored: return (w - 1 - x, y)
        case .down: return (w - 1 - x, h - 1 - y)
        case .downMirrored: return (x, h - 1 - y)
        case .leftMirrored: return (y, x)
        case .right: return (y, h - 1 - x)
        case .rightMirrored: return (w - 1 - y, h - 1 - x)
        case .left: return (w - 1 - y, x)
        }
    }
}
