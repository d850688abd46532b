/// Reads an ``ImageRecipe`` from a `transformers` image processor's `preprocessor_config.json`,
/// as its PIL backend applies it: convert to RGB, resize (`size`, `resample`), center crop
/// (`crop_size`), rescale (`rescale_factor`), normalize (`image_mean`, `image_std`).
///
/// The generic fields cover ViT, DeiT, BEiT, Swin, BiT/DINOv2, CLIP, MobileNet V1/V2 and
/// EfficientNet; ConvNeXT's and ResNet's `crop_pct` and LeViT's 256/224 resize are their
/// processors' own rules. What Ledge cannot reproduce is refused in one line naming the field.
enum HuggingFaceRecipe {
    /// Processors whose integer `size` (an old config's) means the shortest edge, not a square.
    private static let shortestEdgeTypes = ["CLIP", "ConvNext", "MobileNetV1", "MobileNetV2", "Bit", "Levit"]
    /// Processors that resample with bicubic when the config does not say.
    private static let bicubicTypes = ["CLIP", "ConvNext", "Bit", "DeiT", "Beit", "Levit"]

    static func read(_ config: [String: SidecarJSON], path: String, channels: Int) throws -> ImageRecipe {
        let type =
            config["image_processor_type"]?.string ?? config["feature_extractor_type"]?.string ?? ""
        func isType(_ names: [String]) -> Bool { names.contains { type.hasPrefix($0) } }
        func flag(_ field: String, default value: Bool) throws -> Bool { try config[field].map { try $0.bool(path, field) } ?? value }

        for field in ["do_flip_channel_order", "do_pad", "do_reduce_labels", "rescale_offset"] where try flag(field, default: false) {
            throw LedgeError.invalidModel("\(path): '\(field)': true is not supported (Ledge feeds the image resized, cropped and normalized)")
        }
        let filter: ImageRecipe.Filter
        if let value = config["resample"] {
            let number = try value.int(path, "resample", in: 0...5)
            filter = ImageRecipe.Filter(rawValue: number) ?? .bilinear
        } else {
            filter = isType(bicubicTypes) ? .bicubic : .bilinear
        }

        var resize: ImageRecipe.Resize?
        var crop: ImageSize?
        if try flag("do_resize", default: true), let size = config["size"] {
            switch try sizeField(size, path: path, field: "size", squareInt: !isType(shortestEdgeTypes)) {
            case .exact(let size): resize = .exact(size)
            case .shortestEdge(let edge) where isType(["ConvNext"]):
                let pct = try config["crop_pct"].map { try $0.number(path, "crop_pct") } ?? 224.0 / 256.0
                guard pct > 0, pct <= 1 else { throw SidecarJSON.expected(path, "crop_pct", "a number above 0 and at most 1") }
                if edge < 384 {
                    resize = .shortestEdge(Int(Double(edge) / pct))
                    crop = ImageSize(width: edge, height: edge)
                } else {
                    resize = .exact(ImageSize(width: edge, height: edge))
                }
            case .shortestEdge(let edge) where isType(["Levit"]):
                resize = .shortestEdge(Int(256.0 / 224.0 * Double(edge)))
            case .shortestEdge(let edge):
                resize = .shortestEdge(edge)
            }
        }
        if try flag("do_center_crop", default: false), let size = config["crop_size"] {
            guard crop == nil else {
                throw LedgeError.invalidModel("\(path): 'do_center_crop': a second crop after crop_pct's is not supported")
            }
            guard case .exact(let size) = try sizeField(size, path: path, field: "crop_size", squareInt: true) else {
                throw SidecarJSON.expected(path, "crop_size", "an integer or {\"height\", \"width\"}")
            }
            crop = size
        }
        if case .shortestEdge = resize, crop == nil {
            // Without a crop the input's size would follow each image's aspect ratio.
            throw LedgeError.invalidModel(
                "\(path): 'size': a shortest edge without a center crop gives each image its own size; Ledge needs one input size")
        }

        let scale: Float =
            try flag("do_rescale", default: true)
            ? Float(try config["rescale_factor"].map { try $0.number(path, "rescale_factor") } ?? 1.0 / 255.0) : 1
        var mean: [Float] = [], std: [Float] = []
        if try flag("do_normalize", default: true) {
            mean = try config["image_mean"].map { try $0.numbers(path, "image_mean") } ?? [0.5]
            std = try config["image_std"].map { try $0.numbers(path, "image_std") } ?? [0.5]
            for (field, values) in [("image_mean", mean), ("image_std", std)] where values.count != 1 && values.count != channels {
                throw SidecarJSON.expected(path, field, "1 or \(channels) values (config.json's num_channels)")
            }
            if std.contains(0) { throw SidecarJSON.expected(path, "image_std", "values other than 0") }
        }
        return ImageRecipe(resize: resize, crop: crop, filter: filter, scale: scale, mean: mean, std: std, channels: channels, source: path)
    }

    /// `size`/`crop_size`: `{"height", "width"}`, `{"shortest_edge"}`, or an integer (a square, or
    /// the shortest edge for processors that read it so).
    private static func sizeField(_ value: SidecarJSON, path: String, field: String, squareInt: Bool) throws -> ImageRecipe.Resize {
        let pixels = 1...32768
        if case .number = value {
            let side = try value.int(path, field, in: pixels)
            return squareInt ? .exact(ImageSize(width: side, height: side)) : .shortestEdge(side)
        }
        guard case .object(let object) = value else {
            throw SidecarJSON.expected(path, field, "an integer or an object with height and width, or shortest_edge")
        }
        if let height = object["height"], let width = object["width"] {
            return .exact(
                ImageSize(width: try width.int(path, field + ".width", in: pixels), height: try height.int(path, field + ".height", in: pixels)))
        }
        if let edge = object["shortest_edge"] {
            if object["longest_edge"] != nil {
                throw LedgeError.invalidModel("\(path): '\(field).longest_edge': a longest edge is not supported (Ledge needs one input size)")
            }
            return .shortestEdge(try edge.int(path, field + ".shortest_edge", in: pixels))
        }
        throw SidecarJSON.expected(path, field, "an object with height and width, or shortest_edge (got keys \(object.keys.sorted()))")
    }
}
