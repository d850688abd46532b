import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision
import Testing

@Suite struct DecodeTests {
    static let goodImages: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.home + "/fixtures/images")) ?? []
        let bad: Set<String> = ["truncated.jpg", "truncated.png", "empty.jpg", "text.jpg", "huge_header.jpg"]
        return names.filter { ($0.hasSuffix(".jpg") || $0.hasSuffix(".png")) && !bad.contains($0) }.sorted()
    }()

    @Test func fixturesArePresent() {
        #expect(Self.goodImages.count >= 30, "fixture images missing under \(Fixtures.home); run 'make setup'")
    }

    @Test(arguments: goodImages)
    func decodesLikePillow(_ name: String) throws {
        let reference = try VisionReference.load()
        let entry = try reference.entry(name)
        let image = try decodeFixture(name)
        #expect(image.width == entry.width && image.height == entry.height)
        guard entry.decoded != nil else { return }  // large photos: checked through their resize
        let difference = PixelDifference(image, try reference.decoded(name))
        #expect(difference.max <= 1, "\(name): \(difference)")
    }
}
