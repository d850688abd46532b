/// How the images a model was trained on were prepared, when a file beside the model says so
/// (Hugging Face's `preprocessor_config.json`, see ``ModelSidecar``): resize, crop, rescale and
/// normalize, in that order.
public struct ImageRecipe: Sendable, Hashable {
    /// Pillow's resampling filters, as Hugging Face's `resample` numbers them.
    public enum Filter: Int, Sendable, Hashable, CaseIterable {
        case nearest = 0, lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

        /// The filter's name, as Pillow spells its constant.
        public var name: String { String(describing: self) }
    }

    /// How the image is resized before cropping.
    public enum Resize: Sendable, Hashable {
        /// To exactly this size (aspect not kept).
        case exact(ImageSize)
        /// Keeping the aspect ratio, the shorter side to this many pixels.
        case shortestEdge(Int)
    }

    /// The resize; `nil` when the recipe does not resize (the input size is then used).
    public var resize: Resize?
    /// The center crop after resizing; `nil` for none.
    public var crop: ImageSize?
    public var filter: Filter
    /// What 0–255 pixel values are multiplied by before normalizing (1/255 or 1).
    public var scale: Float
    /// Per channel, subtracted after scaling (empty: none).
    public var mean: [Float]
    /// Per channel, divided by after subtracting the mean (empty: none).
    public var std: [Float]
    /// The channels the model takes (1 or 3).
    public var channels: Int
    /// The file the recipe was read from.
    public var source: String

    public init(
        resize: Resize?, crop: ImageSize?, filter: Filter, scale: Float, mean: [Float], std: [Float], channels: Int, source: String
    ) {
        self.resize = resize
        self.crop = crop
        self.filter = filter
        self.scale = scale
        self.mean = mean
        self.std = std
        self.channels = channels
        self.source = source
    }

    /// The size images have after the recipe's resize and crop, when it fixes one.
    public var outputSize: ImageSize? {
        if let crop { return crop }
        if case .exact(let size) = resize { return size }
        return nil
    }

    /// One line for `ledge inspect`: `resize shortest edge 256 (bilinear), center crop 224x224, ×1/255, mean […], std […]`.
    public var summary: String {
        var steps: [String] = []
        switch resize {
        case .exact(let size): steps.append("resize to \(size) (\(filter.name))")
        case .shortestEdge(let edge): steps.append("resize shortest edge to \(edge) (\(filter.name))")
        case nil: break
        }
        if let crop { steps.append("center crop \(crop)") }
        if scale != 1 { steps.append(abs(scale - 1 / 255) < 1e-9 ? "×1/255" : "×\(scale)") }
        if !mean.isEmpty { steps.append("mean \(mean.map { "\($0)" }.joined(separator: ","))") }
        if !std.isEmpty { steps.append("std \(std.map { "\($0)" }.joined(separator: ","))") }
        return steps.joined(separator: ", ")
    }
}
