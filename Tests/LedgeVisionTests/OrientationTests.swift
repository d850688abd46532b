import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision
import Testing

@Suite struct OrientationTests {
    @Test func exif6DecodesUpright() throws {
        let upright = try decodeFixture("chelsea.jpg")
        let rotated = try decodeFixture("chelsea_exif6.jpg")
        #expect(rotated.width == upright.width && rotated.height == upright.height)
        let difference = PixelDifference(rotated, upright)
        #expect(difference.mean < 3, "\(difference)")  // one more JPEG generation apart
    }

    /// Upright red values (row by row) and size for each orientation of a 3×2
    /// image with red 0...5, as Pillow 13's `ImageOps.exif_transpose` gives them.
    static let expected: [(EXIFOrientation, [UInt8], Int, Int)] = [
        (.up, [0, 1, 2, 3, 4, 5], 3, 2),
        (.mirrored, [2, 1, 0, 5, 4, 3], 3, 2),
        (.down, [5, 4, 3, 2, 1, 0], 3, 2),
        (.downMirrored, [3, 4, 5, 0, 1, 2], 3, 2),
        (.leftMirrored, [0, 3, 1, 4, 2, 5], 2, 3),
        (.right, [3, 0, 4, 1, 5, 2], 2, 3),
        (.rightMirrored, [5, 2, 4, 1, 3, 0], 2, 3),
        (.left, [2, 5, 1, 4, 0, 3], 2, 3),
    ]

    @Test func allEightOrientations() throws {
        let sample = try RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
        for (orientation, red, w, h) in Self.expected {
            let out = orientation.apply(to: sample)
            #expect(out.width == w && out.height == h, "\(orientation)")
            #expect(stride(from: 0, to: out.pixels.count, by: 3).map { out.pixels[$0] } == red, "\(orientation)")
        }
    }

    /// An APP1 Exif segment holding only the orientation tag.
    static func app1(orientation: UInt16, littleEndian: Bool) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { littleEndian ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] {
            littleEndian ? u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) : u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF))
        }
        let tiff =
            (littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8)
            + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
        let body: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// `rocket_640x480.jpg` with an Exif segment inserted after SOI decodes as the
    /// plain file transformed, for every orientation and both byte orders.
    @Test(arguments: [true, false])
    func orientationFromExifSegment(_ littleEndian: Bool) throws {
        let base = [UInt8](try fixtureData("rocket_640x480.jpg"))
        let plain = try ImageDecoder.decode(Data(base), name: "plain.jpg")
        for orientation in EXIFOrientation.allCases {
            let tagged = Data(base.prefix(2) + Self.app1(orientation: UInt16(orientation.rawValue), littleEndian: littleEndian) + base.dropFirst(2))
            #expect(EXIFOrientation.read(fromJPEG: tagged) == orientation)
            let image = try ImageDecoder.decode(tagged, name: "tagged.jpg")
            #expect(image == orientation.apply(to: plain), "\(orientation) little-endian \(littleEndian)")
        }
    }

    @Test func malformedExifIsIgnored() throws {
        let base = [UInt8](try fixtureData("chelsea_224.jpg"))
        var segment = Self.app1(orientation: 6, littleEndian: true)
        segment[14...17] = [0xFF, 0xFF, 0, 0]  // IFD0 offset far past the end
        let bad = Data(base.prefix(2) + segment + base.dropFirst(2))
        #expect(EXIFOrientation.read(fromJPEG: bad) == .up)
        var nine = Self.app1(orientation: 9, littleEndian: false)
        #expect(EXIFOrientation.read(fromJPEG: Data(base.prefix(2) + nine + base.dropFirst(2))) == .up)
        nine[2] = 0xFF  // a length running past the data
        #expect(EXIFOrientation.read(fromJPEG: Data(base.prefix(2) + nine)) == .up)
        #expect(try ImageDecoder.decode(bad, name: "bad-exif.jpg").width == 224)
    }
}
