#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeVision

/// FuzzImage: the bytes as an uploaded image: sniffing, the EXIF orientation reader, the
/// JPEG (TurboJPEG) and PNG (libpng through the CPNG shim) header checks against the limits
/// and, when within them, the decode, DCT scaling and rotation.
///
/// Limits are small (512 pixels a side, 65536 pixels) so each input decodes quickly; the
/// last byte picks the target size (mod 4: none, 1×1, 28×28, 224×224), which picks the
/// JPEG's DCT scale.
///
/// Invariants: nothing traps; every refusal is a one-line `invalidInput` ``LedgeError``;
/// only what sniffs as JPEG or PNG decodes, to a non-empty RGB image within the limits.
enum ImageTarget {
    static let limits = ImageLimits(maxSide: 512, maxPixels: 65536)

    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.image
        let data = Data(input)
        _ = EXIFOrientation.read(fromJPEG: data)
        let sizes: [(width: Int, height: Int)?] = [nil, (1, 1), (28, 28), (224, 224)]
        let size = sizes[Int((input.last ?? 0) % 4)]
        let image: RGBImage
        do {
            image = try ImageDecoder.decode(data, name: "upload", targetSize: size, limits: limits)
        } catch {
            try target.expectLedgeError(error, from: "ImageDecoder.decode", input)
            return
        }
        if ImageFormat.sniff(data) == nil { throw target.failure("decoded bytes that sniff as neither JPEG nor PNG", input) }
        if image.width < 1 || image.height < 1 || image.pixels.count != image.width * image.height * 3 {
            throw target.failure("decoded a \(image.width)x\(image.height) image of \(image.pixels.count) bytes", input)
        }
        if max(image.width, image.height) > limits.maxSide || image.width * image.height > limits.maxPixels {
            throw target.failure("decoded a \(image.width)x\(image.height) image over the limits", input)
        }
    }
}
