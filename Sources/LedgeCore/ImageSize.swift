/// A width and height in pixels.
public struct ImageSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `HxW` (height first, as `--input-size 48x192` reads), e.g. `224x224`.
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h > 0, w > 0, h <= 32768, w <= 32768 else {
            throw LedgeError.usage("--input-size: expected HxW with positive integers (e.g. 224x224), got '\(text)'")
        }
        self.init(width: w, height: h)
    }

    /// `WxH`, as images are usually described.
    public var description: String { "\(width)x\(height)" }
}
