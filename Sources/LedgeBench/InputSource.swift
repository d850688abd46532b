#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeVision

/// The inputs a bench feeds: seeded random tensors, or photos prepared as classify prepares them.
///
/// Inputs are built once per batch size, before timing; with photos, batch-1
/// runs cycle through the photos and a batch of `b` packs `b` photos in turn.
final class InputSource {
    private let info: ModelInfo
    private let options: BenchOptions
    private let images: [RGBImage]
    private let preprocessor: ImagePreprocessor?
    private var cache: [Int: [[Tensor]]] = [:]

    init(info: ModelInfo, options: BenchOptions) throws {
        self.info = info
        self.options = options
        guard let directory = options.imagesDirectory else {
            images = []
            preprocessor = nil
            // Fail early (a usage error) when a dynamic height/width needs --input-size.
            for spec in info.inputs {
                _ = try InputFactory.shape(of: spec, batch: 1, inputSize: options.inputSize, recipe: info.metadata.recipe)
            }
            return
        }
        guard info.inputs.count == 1, let input = info.inputs.first else {
            throw LedgeError.invalidInput(
                "\(info.path): --images feeds models with one image input; this model has \(info.inputs.count) inputs (\(info.inputs.map(\.name).joined(separator: ", ")))"
            )
        }
        let preprocessor = try ImagePreprocessor(
            spec: input, normalization: info.metadata.normalization, inputSize: options.inputSize, exactDecode: options.exactDecode,
            recipe: info.metadata.recipe)
        self.preprocessor = preprocessor
        self.images = try Self.imageFiles(in: directory).map { path in
            preprocessor.resize(try preprocessor.decode(try ImageDecoder.readFile(path), name: path))
        }
    }

    /// The sorted .jpg, .jpeg and .png files in `directory`; throws when there are none.
    static func imageFiles(in directory: String) throws -> [String] {
        guard PathName.isDirectory(directory) else {
            throw LedgeError.invalidInput("--images: directory not found: \(directory)")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter { ["jpg", "jpeg", "png"].contains(PathName.pathExtension($0).lowercased()) }.sorted()
        guard !files.isEmpty else {
            throw LedgeError.invalidInput("--images: no .jpg, .jpeg or .png files in \(directory)")
        }
        return files.map { PathName.appending($0, to: directory) }
    }

    /// The inputs of run number `index` at batch size `batch`.
    func inputs(batch: Int, index: Int) throws -> [Tensor] {
        if cache[batch] == nil { cache[batch] = try build(batch: batch) }
        let alternatives = cache[batch] ?? []
        return alternatives[index % max(alternatives.count, 1)]
    }

    private func build(batch: Int) throws -> [[Tensor]] {
        guard let preprocessor, !images.isEmpty else {
            return [
                try InputFactory.random(
                    specs: info.inputs, batch: batch, inputSize: options.inputSize, seed: options.seed, recipe: info.metadata.recipe)
            ]
        }
        if batch == 1 {
            return try images.map { [try preprocessor.pack([$0])] }
        }
        let picked = (0..<batch).map { images[$0 % images.count] }
        return [[try preprocessor.pack(picked)]]
    }
}
