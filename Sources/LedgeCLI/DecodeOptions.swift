public import ArgumentParser

/// `--exact-decode`, for every command that decodes photos for a model
/// (`classify`, `serve`, `bench --images`).
public struct DecodeOptions: ParsableArguments {
    @Flag(
        name: .customLong("exact-decode"),
        help:
            "Decode JPEGs at full size before resizing (default: at the 1/2, 1/4 or 1/8 DCT scale that still covers the model's input, as Pillow's draft does; faster for large photos)."
    )
    var exactDecode = false

    public init() {}
}
