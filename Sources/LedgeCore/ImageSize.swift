/// A width and height in pixels.
public struct ImageSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `WxH`, e.g. `640x480`.
    public var description: String { "\(width)x\(height)" }

    /// Parses `HxW` as the CLI's `--input-size` takes it (`224x224`, `48x192`), or
    /// one number for a square; throws a usage error naming `option` otherwise.
    public static func parse(heightByWidth text: String, option: String = "--input-size") throws -> ImageSize {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0.trimmingWhitespace()) }
        guard numbers.count == parts.count, (1...2).contains(numbers.count),
            numbers.allSatisfy({ $0 > 0 && $0 <= 32768 }), let height = numbers.first, let width = numbers.last
        else {
            throw LedgeError.usage("\(option) expects HxW with positive sizes (e.g. 224x224), got '\(text)'")
        }
        guard height * width <= maxPixels else {
            throw LedgeError.usage(
                "\(option) \(text) is \(height * width / 1_000_000) megapixels: expected at most \(maxPixels / 1_000_000) (as an image may have)")
        }
        return ImageSize(width: width, height: height)
    }

    /// The most pixels an input size may have: what an image may have (LedgeVision's `ImageLimits`).
    public static let maxPixels = 100_000_000
}
