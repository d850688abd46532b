import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision
import Testing

@Suite struct ErrorTests {
    /// The message `decode` throws for `data` (and that it is an invalid-input error).
    func message(_ data: Data, name: String, limits: ImageLimits = .default) -> String? {
        do {
            _ = try ImageDecoder.decode(data, name: name, limits: limits)
            return nil
        } catch let error as LedgeError {
            #expect(error.code == .invalidInput)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func fixtureMessage(_ name: String) throws -> String? {
        message(try fixtureData(name), name: name)
    }

    @Test func emptyFile() throws {
        #expect(try fixtureMessage("empty.jpg") == "empty.jpg: empty file, expected a JPEG or PNG image")
    }

    @Test func textFileNamedJPEG() throws {
        #expect(try fixtureMessage("text.jpg") == "text.jpg: not a JPEG or PNG image")
    }

    @Test func truncatedJPEG() throws {
        #expect(try fixtureMessage("truncated.jpg") == "truncated.jpg: corrupt or truncated JPEG (Premature end of JPEG file)")
    }

    @Test func truncatedPNG() throws {
        #expect(try fixtureMessage("truncated.png") == "truncated.png: corrupt or truncated PNG (unexpected end of data)")
    }

    @Test func hugeHeaderIsRejectedBeforeDecoding() throws {
        #expect(
            try fixtureMessage("huge_header.jpg")
                == "huge_header.jpg: image is 60000x60000 pixels, over the limit of 100 megapixels or 32768 pixels a side")
    }

    @Test func hugePNGHeaderIsRejectedBeforeDecoding() {
        let png = Self.png(width: 60000, height: 60000, idat: [])
        #expect(
            message(png, name: "huge.png")
                == "huge.png: image is 60000x60000 pixels, over the limit of 100 megapixels or 32768 pixels a side")
    }

    @Test func customLimits() throws {
        let limits = ImageLimits(maxSide: 1000, maxPixels: 100_000)
        #expect(
            message(try fixtureData("chelsea.png"), name: "chelsea.png", limits: limits)
                == "chelsea.png: image is 451x300 pixels, over the limit of 0.1 megapixels or 1000 pixels a side")
        #expect(
            message(try fixtureData("chelsea.jpg"), name: "c.jpg", limits: ImageLimits(maxSide: 400, maxPixels: 1_000_000))
                == "c.jpg: image is 451x300 pixels, over the limit of 1 megapixels or 400 pixels a side")
    }

    @Test func formatComesFromContentNotExtension() throws {
        let image = try ImageDecoder.decode(try fixtureData("chelsea.png"), name: "chelsea.jpg")
        #expect(image.width == 451 && image.height == 300)
    }

    @Test func badPNGChecksum() throws {
        var bytes = [UInt8](try fixtureData("chelsea_224.png"))
        bytes[29] ^= 0xFF  // the IHDR CRC
        #expect(message(Data(bytes), name: "crc.png") == "crc.png: corrupt or truncated PNG (IHDR: CRC error)")
    }

    @Test func signaturesAlone() {
        #expect(message(Data([0xFF, 0xD8, 0xFF]), name: "soi.jpg")?.hasPrefix("soi.jpg: corrupt or truncated JPEG (") == true)
        #expect(
            message(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), name: "sig.png")
                == "sig.png: corrupt or truncated PNG (unexpected end of data)")
        #expect(message(Data([0x89, 0x50, 0x4E, 0x47]), name: "short.png") == "short.png: not a JPEG or PNG image")
    }

    /// Every cut of a real file throws a one-line error; none crashes or hangs.
    /// (A PNG cut inside its final IEND chunk still decodes, as with Pillow.)
    @Test(arguments: ["chelsea_224.jpg", "chelsea_progressive.jpg", "chelsea_224.png", "chelsea_interlaced.png"])
    func everyTruncationFailsCleanly(_ name: String) throws {
        let data = try fixtureData(name)
        let end = name.hasSuffix(".png") ? data.count - 13 : data.count - 1
        let cuts = Set((1..<40).map { data.count * $0 / 40 } + [1, 2, 3, 10, 33, end])
        for cut in cuts.sorted() {
            let text = message(data.prefix(cut), name: name)
            #expect(text != nil, "\(name) cut at \(cut) decoded")
            #expect(text?.contains("\n") == false)
            #expect(text?.hasPrefix("\(name): ") == true)
        }
    }

    @Test func pngWithoutIENDDecodesLikePillow() throws {
        let data = try fixtureData("chelsea_224.png")
        let image = try ImageDecoder.decode(data.prefix(data.count - 12), name: "no-iend.png")
        #expect(image == (try ImageDecoder.decode(data, name: "chelsea_224.png")))
    }

    @Test func missingFile() {
        #expect(throws: LedgeError.invalidInput("image file not found: /nonexistent/cat.jpg")) {
            try ImageDecoder.decode(contentsOf: "/nonexistent/cat.jpg")
        }
    }

    /// A PNG with the given IHDR size (8-bit RGB) and one IDAT chunk.
    static func png(width: UInt32, height: UInt32, idat: [UInt8]) -> Data {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return be(UInt32(body.count)) + typed + be(crc32(typed))
        }
        let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", []))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
