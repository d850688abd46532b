#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeVision

/// The inputs the quantizer runs the model on: the photos of a folder through the model's own
/// preprocessing (the `ImagePreprocessor` `ledge classify` runs; any single-image-input model,
/// not only classifiers), or `.npy` tensors saved by the user's own
/// pipeline (float32, C order, one input of the model each).
enum CalibrationData {
    /// Every `.jpg`, `.jpeg`, `.png` and `.npy` file in `directory`, sorted, as one input list each.
    /// `option` names the flag in errors.
    static func load(directory: String, option: String, info: ModelInfo, classifier: ClassifierOptions) throws -> [[Tensor]] {
        guard PathName.isDirectory(directory) else {
            throw LedgeError.invalidInput("\(option) \(directory): directory not found")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        let files = names.filter { ["jpg", "jpeg", "png", "npy"].contains(PathName.pathExtension($0).lowercased()) }
        guard !files.isEmpty else {
            throw LedgeError.invalidInput("\(option) \(directory): no .jpg, .jpeg, .png or .npy files in the folder")
        }
        var preprocessor: ImagePreprocessor?
        return try files.map { name in
            let path = PathName.appending(name, to: directory)
            if PathName.pathExtension(name).lowercased() == "npy" {
                return [try NumpyFile.read(path, expected: info.inputs.first)]
            }
            if preprocessor == nil {
                guard info.inputs.count == 1, let input = info.inputs.first else {
                    throw LedgeError.invalidInput(
                        "\(option) \(directory): \(info.path) has \(info.inputs.count) inputs: photos calibrate a model with one image input (give .npy tensors instead)"
                    )
                }
                preprocessor = try ImagePreprocessor(
                    spec: input, normalization: info.metadata.normalization, mean: classifier.mean, std: classifier.std,
                    inputSize: classifier.inputSize, exactDecode: classifier.exactDecode, recipe: info.metadata.recipe)
            }
            guard let preprocessor else { return [] }
            return [try preprocessor.pack([preprocessor.resize(try preprocessor.decode(try ImageDecoder.readFile(path), name: path))])]
        }
    }
}

/// The `.npy` files NumPy's `np.save` writes (format 1.0–3.0) holding float32 in C order.
enum NumpyFile {
    static func read(_ path: String, expected spec: TensorSpec?) throws -> Tensor {
        let data = try CheckedFile.read(path, kind: "tensor", expected: "a NumPy .npy file", code: .invalidInput)
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw LedgeError.invalidInput("\(path): not a NumPy .npy file (expected the magic \\x93NUMPY)")
        }
        let major = bytes[6]
        let headerLength =
            major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : bytes.count >= 12 ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : -1
        let start = major == 1 ? 10 : 12
        guard headerLength > 0, start + headerLength <= bytes.count else {
            throw LedgeError.invalidInput("\(path): truncated .npy header")
        }
        let header = String(decoding: bytes[start..<start + headerLength], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else {
            throw LedgeError.invalidInput("\(path): expected float32 values ('<f4'), got the header \(header.trimmingWhitespaceAndNewlines())")
        }
        guard header.contains("'fortran_order': False") else {
            throw LedgeError.invalidInput("\(path): expected C order (fortran_order False)")
        }
        guard let open = header.firstIndex(of: "("), let close = header[open...].firstIndex(of: ")") else {
            throw LedgeError.invalidInput("\(path): no shape in the .npy header")
        }
        let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingWhitespace()) }
        let body = bytes[(start + headerLength)...]
        let count = shape.reduce(1, *)
        guard body.count == count * 4 else {
            throw LedgeError.invalidInput("\(path): shape \(shape) needs \(count * 4) bytes of float32, the file has \(body.count)")
        }
        if let spec, spec.shape.count != shape.count || zip(spec.shape, shape).contains(where: { $0 >= 0 && $0 != $1 }) {
            throw LedgeError.invalidInput("\(path): shape \(shape) does not fit input '\(spec.name)' \(spec.shapeDescription)")
        }
        let values = body.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        // A NaN or infinity would make every range it reaches meaningless (and no node quantizable).
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw LedgeError.invalidInput("\(path): value \(index) is \(values[index]): expected finite float32 values to calibrate with")
        }
        return Tensor(dtype: .float32, shape: shape, values: values as [Float])
    }
}
