import CPNG
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LedgeCore

/// PNG decoding through the `CPNG` shim (libpng's longjmp errors stay in C).
enum PNGDecoding {
    static func decode(_ data: Data, name: String, limits: ImageLimits) throws -> RGBImage {
        var pointer: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0
        var height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let maxSide = UInt32(clamping: limits.maxSide)
        let maxPixels = max(0, limits.maxPixels)
        let status = data.withUnsafeBytes { raw -> Int32 in
            let bytes = raw.bindMemory(to: UInt8.self)
            return message.withUnsafeMutableBufferPointer { err in
                ledge_png_decode(
                    bytes.baseAddress, bytes.count, maxSide, maxPixels,
                    &pointer, &width, &height, err.baseAddress, err.count)
            }
        }
        let w = Int(width), h = Int(height)
        switch status {
        case LEDGE_PNG_OK:
            guard let pointer else { break }
            defer { ledge_png_free(pointer) }
            let pixels = [UInt8](UnsafeBufferPointer(start: pointer, count: w * h * 3))
            return RGBImage(unchecked: w, h, pixels)
        case LEDGE_PNG_TOO_LARGE:
            try limits.check(width: w, height: h, name: name)
        case LEDGE_PNG_NO_MEMORY:
            throw LedgeError.invalidInput("\(name): not enough memory to decode a \(w)x\(h) PNG")
        default:
            break
        }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw LedgeError.invalidInput("\(name): corrupt or truncated PNG (\(text.isEmpty ? "unknown error" : text))")
    }
}
