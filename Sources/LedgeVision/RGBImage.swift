public import LedgeCore

/// An 8-bit RGB image: `pixels` holds `width * height * 3` bytes, row-major,
/// channels interleaved (R, G, B).
public struct RGBImage: Sendable, Hashable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height * 3` bytes, R G B interleaved, top row first.
    public let pixels: [UInt8]

    /// An image over `pixels`, which must hold exactly `width * height * 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, !width.multipliedReportingOverflow(by: height).overflow,
            pixels.count == width * height * 3
        else {
            throw LedgeError.invalidInput(
                "RGB image of \(width)x\(height) needs width*height*3 bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// For callers that have already checked the size.
    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The size.
    public var size: ImageSize { ImageSize(width: width, height: height) }

    /// The R, G, B values at column `x`, row `y` (both in range).
    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// How large an image Ledge agrees to decode; checked from the header, before
/// any pixel memory is allocated.
public struct ImageLimits: Sendable, Hashable {
    /// The longest allowed side, in pixels.
    public var maxSide: Int
    /// The most pixels (width × height) allowed.
    public var maxPixels: Int

    public init(maxSide: Int, maxPixels: Int) {
        self.maxSide = maxSide
        self.maxPixels = maxPixels
    }

    /// 32768 pixels a side and 100 megapixels.
    public static let `default` = ImageLimits(maxSide: 32768, maxPixels: 100_000_000)

    /// Throws when a `width`×`height` image is over the limits.
    func check(width: Int, height: Int, name: String) throws {
        if width > maxSide || height > maxSide || width * height > maxPixels {
            throw LedgeError.invalidInput(
                "\(name): image is \(width)x\(height) pixels, over the limit of \(megapixels) megapixels or \(maxSide) pixels a side")
        }
    }

    private var megapixels: String {
        maxPixels % 1_000_000 == 0 ? String(maxPixels / 1_000_000) : String(Double(maxPixels) / 1_000_000)
    }
}
