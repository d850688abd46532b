import LedgeCore
import LedgeTesting
import LedgeVision
import Testing

@Suite struct ResizeTests {
    static let photos =
        ["chelsea", "coffee", "astronaut", "rocket"].flatMap { photo in
            [".jpg", ".png", "_224.jpg", "_224.png", "_640x480.jpg", "_640x480.png"].map { photo + $0 }
        } + ["chelsea_exif6.jpg", "chelsea_cmyk.jpg", "chelsea_gray16.png", "chelsea_palette.png"]

    @Test(arguments: photos)
    func resizeTo224MatchesPillow(_ name: String) throws {
        let reference = try VisionReference.load()
        let size = ImageSize(width: 224, height: 224)
        let resized = try decodeFixture(name).resized(to: size)
        let difference = PixelDifference(resized, try reference.resized(name, to: size))
        #expect(difference.max <= (name.hasSuffix(".png") ? 0 : 1), "\(name): \(difference)")
    }

    @Test(arguments: [
        ("chelsea.png", 500, 400), ("chelsea.png", 451, 100), ("chelsea.png", 100, 300),
        ("chelsea.png", 37, 23), ("chelsea.png", 1000, 700), ("chelsea_224.png", 500, 333),
    ])
    func otherSizesMatchPillow(_ name: String, _ width: Int, _ height: Int) throws {
        let reference = try VisionReference.load()
        let size = ImageSize(width: width, height: height)
        let resized = try decodeFixture(name).resized(to: size)
        #expect(resized.size == size)
        let difference = PixelDifference(resized, try reference.resized(name, to: size))
        #expect(difference.max == 0, "\(name) to \(size): \(difference)")
    }

    /// The filters a model's `preprocessor_config.json` may name, against Pillow's resize with each.
    @Test(arguments: [ImageRecipe.Filter.nearest, .box, .hamming, .bicubic, .lanczos])
    func otherFiltersMatchPillow(_ filter: ImageRecipe.Filter) throws {
        let reference = try VisionReference.load()
        let image = try decodeFixture("chelsea.png")
        for (width, height) in [(224, 224), (500, 400), (37, 23), (451, 100)] {
            let size = ImageSize(width: width, height: height)
            let resized = image.resized(to: size, filter: filter)
            let expected = try reference.resized("chelsea.png", to: size, filter: filter.name.uppercased())
            let difference = PixelDifference(resized, expected)
            #expect(difference.max == 0, "\(filter.name) to \(size): \(difference)")
        }
    }

    /// A 4000×3000 JPEG decoded for 224×224 uses 1/8 DCT scaling (500×375),
    /// like Pillow's `draft`, and stays close to the full decode.
    @Test(arguments: ["chelsea", "coffee", "astronaut", "rocket"])
    func dctScaledLargePhoto(_ photo: String) throws {
        let name = photo + "_4000x3000.jpg"
        let reference = try VisionReference.load()
        let scaled = try decodeFixture(name, targetSize: (224, 224))
        #expect(scaled.width == 500 && scaled.height == 375)
        let draft = try #require(try reference.entry(name).draft224)
        #expect(draft.width == 500 && draft.height == 375)
        let size = ImageSize(width: 224, height: 224)
        let resized = scaled.resized(to: size)
        let versusDraft = PixelDifference(resized, try VisionReference.image(draft.file, width: 224, height: 224))
        #expect(versusDraft.max <= 1, "\(name) vs Pillow draft: \(versusDraft)")
        let versusFull = PixelDifference(resized, try reference.resized(name, to: size))
        #expect(versusFull.mean < 1.0, "\(name) vs Pillow full decode: \(versusFull)")
    }

    @Test func scalingCoversTheTargetAfterRotation() throws {
        // Stored 300 wide and 451 high, shown 451×300: a target of 400×100
        // must be covered after rotation, so no scaling below 1/1 fits 400 wide.
        let image = try decodeFixture("chelsea_exif6.jpg", targetSize: (400, 100))
        #expect(image.width == 451 && image.height == 300)
        let small = try decodeFixture("chelsea_exif6.jpg", targetSize: (100, 60))
        #expect(small.width == 113 && small.height == 75)  // 1/4 scale, upright
    }

    @Test func sameSizeIsUnchangedAndOnePixelWorks() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 100, 200, 255, 155, 55])
        #expect(image.resized(to: image.size) == image)
        let one = image.resized(to: ImageSize(width: 1, height: 1))
        #expect(one.pixels == [128, 128, 128])
        let up = try RGBImage(width: 1, height: 1, pixels: [9, 8, 7]).resized(to: ImageSize(width: 3, height: 2))
        #expect(up.pixels == [UInt8](repeating: 0, count: 0) + Array(repeating: [9, 8, 7], count: 6).flatMap { $0 })
    }
}
