#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// Where the channel dimension of an image input sits.
public enum ImageLayout: String, Sendable, Hashable {
    /// `[N, H, W, C]` (TFLite's usual layout).
    case nhwc
    /// `[N, C, H, W]` (ONNX's usual layout).
    case nchw
}

/// Turns decoded images into the tensor a model's image input takes: resize
/// to the input's height and width, lay out as NHWC or NCHW, and convert
/// pixels to the input's dtype.
///
/// Pixel values: `uint8` inputs get raw pixels, `int8` inputs `pixel - 128`.
/// `float32`/`float16` inputs get `(pixel - mean) / std` on 0–255 values with
/// the model's own ``Normalization`` when it declares one; otherwise
/// `(pixel / 255 - mean) / std` with the user's `mean`/`std` (default 0 and 1).
/// A user `mean` or `std` takes precedence over the model's normalization.
/// One-channel inputs get Pillow's luma `L` of each pixel.
public struct ImagePreprocessor: Sendable {
    /// The input's name.
    public let inputName: String
    public let layout: ImageLayout
    public let dtype: DType
    /// The size images are resized to.
    public let size: ImageSize
    /// 3 (RGB) or 1 (luma).
    public let channels: Int
    /// The input's batch size, `nil` when dynamic.
    public let fixedBatch: Int?
    /// Decode JPEGs at full size (`--exact-decode`) instead of at the DCT scale
    /// that still covers ``size`` (see ``decode(_:name:limits:)``).
    public let exactDecode: Bool
    /// Per channel: the value each of the 256 pixel levels becomes (float inputs).
    let lookup: [[Float]]
    /// The model's image recipe: its resize, crop and filter replace the plain bilinear resize.
    public let recipe: ImageRecipe?

    /// A preprocessor for the image input described by `spec`.
    ///
    /// - Parameters:
    ///   - normalization: the model's declared normalization (0–255 domain).
    ///   - mean, std: the user's values, one or one per channel, in the 0–1 domain.
    ///   - inputSize: the size to use where the input's height or width is dynamic.
    ///   - exactDecode: decode JPEGs at full size, never DCT-scaled.
    ///   - recipe: how the model's training images were prepared (resize, crop, filter,
    ///     rescale, normalization; its channels and size where the input leaves them dynamic).
    ///     Its normalization applies when neither the user nor the model gives one.
    public init(
        spec: TensorSpec, normalization: Normalization? = nil, mean: [Float]? = nil,
        std: [Float]? = nil, inputSize: ImageSize? = nil, exactDecode: Bool = false, recipe: ImageRecipe? = nil
    ) throws {
        self.exactDecode = exactDecode
        let shape = spec.shape
        let isChannels = { (d: Int) in d == 3 || d == 1 }
        // A recipe's model (Hugging Face's pixel_values) may leave its channels dynamic: NCHW.
        let recipeChannels = recipe.flatMap { shape.count == 4 && shape[1] < 0 && !isChannels(shape[3]) ? $0.channels : nil }
        guard shape.count == 4, isChannels(shape[3]) || isChannels(shape[1]) || recipeChannels != nil else {
            throw LedgeError.invalidInput(
                "model input '\(spec.name)' with shape \(spec.shapeDescription) is not an image (expected [N,H,W,3] or [N,3,H,W])")
        }
        layout = isChannels(shape[3]) ? .nhwc : .nchw
        channels = recipeChannels ?? (layout == .nhwc ? shape[3] : shape[1])
        self.recipe = recipe
        let (h, w) = layout == .nhwc ? (shape[1], shape[2]) : (shape[2], shape[3])
        if let made = recipe?.outputSize, let source = recipe?.source, inputSize == nil,
            (h > 0 && h != made.height) || (w > 0 && w != made.width)
        {
            throw LedgeError.invalidModel(
                "\(source) makes \(made) images; model input '\(spec.name)' takes \(spec.shapeDescription)")
        }
        if h < 0 || w < 0, let made = recipe?.outputSize, inputSize == nil {
            size = made
        } else if h < 0 || w < 0 {
            guard let inputSize else {
                throw LedgeError.usage(
                    "model input '\(spec.name)' has dynamic height/width \(spec.shapeDescription); pass --input-size HxW")
            }
            guard (h < 0 || h == inputSize.height) && (w < 0 || w == inputSize.width) else {
                throw LedgeError.usage(
                    "--input-size \(inputSize.height)x\(inputSize.width) does not fit model input '\(spec.name)' with shape \(spec.shapeDescription)")
            }
            size = inputSize
        } else {
            if let inputSize, inputSize != ImageSize(width: w, height: h) {
                throw LedgeError.usage(
                    "--input-size \(inputSize.height)x\(inputSize.width) does not fit model input '\(spec.name)' with shape \(spec.shapeDescription)")
            }
            guard h > 0, w > 0 else {
                throw LedgeError.invalidInput("model input '\(spec.name)' with shape \(spec.shapeDescription) has an empty height or width")
            }
            size = ImageSize(width: w, height: h)
        }
        switch spec.dtype {
        case .uint8, .int8, .float32, .float16: dtype = spec.dtype
        default:
            throw LedgeError.invalidInput(
                "model input '\(spec.name)' has dtype \(spec.dtype.rawValue); images feed uint8, int8, float16 or float32 inputs")
        }
        inputName = spec.name
        fixedBatch = shape[0] > 0 ? shape[0] : nil

        if mean == nil, std == nil, normalization == nil, let recipe {
            let m = try Self.perChannel(recipe.mean.isEmpty ? [0] : recipe.mean, channels, "\(recipe.source) image_mean")
            let s = try Self.perChannel(recipe.std.isEmpty ? [1] : recipe.std, channels, "\(recipe.source) image_std")
            lookup = (0..<channels).map { c in (0..<256).map { (Float($0) * recipe.scale - m[c]) / s[c] } }
        } else if mean != nil || std != nil || normalization == nil {
            let m = try Self.perChannel(mean ?? [0], channels, "--mean")
            let s = try Self.perChannel(std ?? [1], channels, "--std")
            lookup = (0..<channels).map { c in (0..<256).map { (Float($0) / 255 - m[c]) / s[c] } }
        } else if let normalization {
            let m = try Self.perChannel(normalization.mean, channels, "model normalization mean")
            let s = try Self.perChannel(normalization.std, channels, "model normalization std")
            lookup = (0..<channels).map { c in (0..<256).map { (Float($0) - m[c]) / s[c] } }
        } else {
            lookup = []
        }
    }

    private static func perChannel(_ values: [Float], _ channels: Int, _ what: String) throws -> [Float] {
        if values.count == 1 { return Array(repeating: values[0], count: channels) }
        guard values.count == channels else {
            throw LedgeError.usage("\(what) expects 1 or \(channels) values, got \(values.count)")
        }
        if what.hasSuffix("std"), values.contains(0) {
            throw LedgeError.usage("\(what) must not contain 0")
        }
        return values
    }

    /// The tensor shape for a batch of `count` images.
    public func shape(batch count: Int) -> [Int] {
        layout == .nhwc ? [count, size.height, size.width, channels] : [count, channels, size.height, size.width]
    }

    /// Step 1: decodes `data` at a DCT scale that still covers the input size
    /// (at full size with ``exactDecode``).
    public func decode(_ data: Data, name: String, limits: ImageLimits = .default) throws -> RGBImage {
        var target = (size.width, size.height)
        switch recipe?.resize {
        case .exact(let size): target = (size.width, size.height)
        case .shortestEdge(let edge): target = (edge, edge)
        case nil: break
        }
        return try ImageDecoder.decode(data, name: name, targetSize: exactDecode ? nil : target, limits: limits)
    }

    /// Step 2: resizes `image` to the input size (Pillow-compatible bilinear); with a
    /// ``recipe``, as it says: its resize and filter, then its center crop.
    public func resize(_ image: RGBImage) -> RGBImage {
        guard let recipe else { return image.resized(to: size) }
        var resized = image
        switch recipe.resize {
        case .exact(let size): resized = image.resized(to: size, filter: recipe.filter)
        case .shortestEdge(let edge):
            // transformers' get_resize_output_image_size: the long side is ⌊edge · long / short⌋.
            let short = min(image.width, image.height), long = max(image.width, image.height)
            let other = edge * long / short
            let target = image.width <= image.height ? ImageSize(width: edge, height: other) : ImageSize(width: other, height: edge)
            resized = image.resized(to: target, filter: recipe.filter)
        case nil: break
        }
        if let crop = recipe.crop, let cropped = resized.centerCropped(to: crop) { resized = cropped }
        // A size the recipe does not fix (or an image smaller than its crop) is brought to the input's.
        return resized.size == size ? resized : resized.resized(to: size, filter: recipe.filter)
    }

    /// Step 3: lays out and converts images already at the input size.
    ///
    /// Throws when the count does not fit a fixed batch dimension or an image
    /// is not at ``size``.
    public func pack(_ images: [RGBImage]) throws -> Tensor {
        guard !images.isEmpty else {
            throw LedgeError.invalidInput("model input '\(inputName)' needs at least one image, got none")
        }
        if let fixedBatch, fixedBatch != images.count {
            throw LedgeError.invalidInput(
                "model input '\(inputName)' takes a batch of \(fixedBatch) image(s), got \(images.count)")
        }
        if let wrong = images.first(where: { $0.size != size }) {
            throw LedgeError.invalidInput(
                "model input '\(inputName)' takes \(size) images, got \(wrong.size); resize first")
        }
        var tensor = Tensor(dtype: dtype, shape: shape(batch: images.count))
        tensor.withUnsafeMutableBytes { raw in
            for (n, image) in images.enumerated() { write(image, batchIndex: n, into: raw) }
        }
        return tensor
    }

    /// Resizes each image and packs them into one batch tensor.
    public func tensor(for images: [RGBImage]) throws -> Tensor {
        try pack(images.map(resize))
    }

    /// Decodes (with DCT scaling), resizes and packs images given as bytes.
    public func decodeAndPrepare(_ inputs: [(data: Data, name: String)], limits: ImageLimits = .default) throws -> Tensor {
        try pack(inputs.map { try resize(decode($0.data, name: $0.name, limits: limits)) })
    }

    /// Reads, decodes, resizes and packs the image files at `paths`.
    public func decodeAndPrepare(paths: [String], limits: ImageLimits = .default) throws -> Tensor {
        try decodeAndPrepare(paths.map { (data: try ImageDecoder.readFile($0), name: $0) }, limits: limits)
    }
}
