#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import LedgeCore

/// The image formats Ledge decodes, told from their first bytes.
public enum ImageFormat: String, Sendable, Hashable {
    case jpeg
    case png

    /// The format of `data` from its magic bytes, `nil` when neither.
    public static func sniff(_ data: Data) -> ImageFormat? {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }
}

/// Decodes JPEG and PNG images to 8-bit RGB, as Pillow's `convert('RGB')`
/// sees them, with JPEG EXIF orientation applied.
public enum ImageDecoder {
    /// Decodes `data`, whose format is told from its magic bytes (never from
    /// `name`, which only labels errors).
    ///
    /// With `targetSize`, a JPEG decodes at the smallest DCT scale among 1/8,
    /// 1/4, 1/2 and 1 whose result still covers the target on both axes,
    /// measured after EXIF rotation (as Pillow's `draft` picks it); resize the
    /// result to the exact size afterwards. Sizes are
    /// checked against `limits` from the header, before decoding.
    ///
    /// Throws ``LedgeError/invalidInput(_:)`` naming `name` for an empty,
    /// unrecognized, corrupt, truncated or oversized image.
    public static func decode(
        _ data: Data, name: String, targetSize: (width: Int, height: Int)? = nil,
        limits: ImageLimits = .default
    ) throws -> RGBImage {
        guard !data.isEmpty else {
            throw LedgeError.invalidInput("\(name): empty file, expected a JPEG or PNG image")
        }
        switch ImageFormat.sniff(data) {
        case .jpeg:
            let target = targetSize.map { ImageSize(width: $0.width, height: $0.height) }
            let orientation = EXIFOrientation.read(fromJPEG: data)
            let decoded = try JPEGDecoding.decode(
                data, name: name, targetSize: target,
                swapAxes: orientation.swapsAxes, limits: limits)
            return orientation.apply(to: decoded)
        case .png:
            return try PNGDecoding.decode(data, name: name, limits: limits)
        case nil:
            throw LedgeError.invalidInput("\(name): not a JPEG or PNG image")
        }
    }

    /// Reads and decodes the image file at `path`; errors name the path.
    public static func decode(
        contentsOf path: String, targetSize: (width: Int, height: Int)? = nil,
        limits: ImageLimits = .default
    ) throws -> RGBImage {
        try decode(try readFile(path), name: path, targetSize: targetSize, limits: limits)
    }

    /// The bytes of the file at `path`, or a one-line error naming it.
    public static func readFile(_ path: String) throws -> Data {
        // An empty file is named by ``decode(_:name:targetSize:limits:)``, as for any empty bytes.
        try CheckedFile.read(path, kind: "image", expected: "a JPEG or PNG file", code: .invalidInput, allowEmpty: true)
    }
}
