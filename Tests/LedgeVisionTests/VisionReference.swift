import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision

/// Pillow's results for the fixture images, written by `scripts/reference_vision.py`
/// into `fixtures/reference/vision/`.
struct VisionReference: Decodable {
    struct Draft: Decodable {
        var width: Int
        var height: Int
        var file: String
    }

    struct Entry: Decodable {
        var width: Int?
        var height: Int?
        var decoded: String?
        var resized: [String: String]?
        /// By `FILTER WxH` (Pillow's constant names).
        var filtered: [String: String]?
        var draft224: Draft?
        var error: String?
    }

    var pillow: String
    var images: [String: Entry]

    static func load() throws -> VisionReference {
        let path = Fixtures.reference("vision/index.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("vision reference missing: \(path); run 'make setup'")
        }
        return try JSONDecoder().decode(VisionReference.self, from: data)
    }

    func entry(_ image: String) throws -> Entry {
        guard let entry = images[image] else {
            throw LedgeError.invalidInput("no vision reference for \(image); run 'make setup'")
        }
        return entry
    }

    /// Pillow's pixels from a reference file as an image of `width`×`height`.
    static func image(_ file: String, width: Int, height: Int) throws -> RGBImage {
        let path = Fixtures.reference("vision/" + file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("vision reference file missing: \(path); run 'make setup'")
        }
        return try RGBImage(width: width, height: height, pixels: [UInt8](data))
    }

    /// Pillow's decode of `image` (EXIF-transposed RGB).
    func decoded(_ image: String) throws -> RGBImage {
        let entry = try entry(image)
        guard let file = entry.decoded, let w = entry.width, let h = entry.height else {
            throw LedgeError.invalidInput("no decoded reference for \(image)")
        }
        return try Self.image(file, width: w, height: h)
    }

    /// Pillow's bilinear resize of `image` to `size`.
    func resized(_ image: String, to size: ImageSize) throws -> RGBImage {
        guard let file = try entry(image).resized?["\(size.width)x\(size.height)"] else {
            throw LedgeError.invalidInput("no \(size) resize reference for \(image)")
        }
        return try Self.image(file, width: size.width, height: size.height)
    }
}

extension VisionReference {
    /// Pillow's resize of `image` to `size` with `filter` (`NEAREST`, `BOX`, `HAMMING`, `BICUBIC`, `LANCZOS`).
    func resized(_ image: String, to size: ImageSize, filter: String) throws -> RGBImage {
        guard let file = try entry(image).filtered?["\(filter) \(size.width)x\(size.height)"] else {
            throw LedgeError.invalidInput("no \(filter) \(size) resize reference for \(image); run 'make setup'")
        }
        return try Self.image(file, width: size.width, height: size.height)
    }
}

/// Pixel differences between two images of one size.
struct PixelDifference: CustomStringConvertible {
    var max: Int
    var mean: Double

    init(_ a: RGBImage, _ b: RGBImage) {
        var largest = 0, total = 0
        for (x, y) in zip(a.pixels, b.pixels) {
            let d = abs(Int(x) - Int(y))
            largest = Swift.max(largest, d)
            total += d
        }
        max = largest
        mean = Double(total) / Double(Swift.max(1, a.pixels.count))
    }

    var description: String { "max \(max), mean \(mean)" }
}

func fixtureData(_ name: String) throws -> Data {
    try ImageDecoder.readFile(Fixtures.image(name))
}

func decodeFixture(_ name: String, targetSize: (width: Int, height: Int)? = nil) throws -> RGBImage {
    try ImageDecoder.decode(fixtureData(name), name: name, targetSize: targetSize)
}
