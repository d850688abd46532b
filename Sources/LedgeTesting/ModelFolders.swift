public import Foundation

extension Fixtures {
    /// A model folder of a repository in `directory`: `NAME/<v>/model.onnx` for each of
    /// `versions` (a copy of `add.onnx`, or of `add_one.onnx` for the versions in `plusOne`),
    /// and `NAME/config.pbtxt` holding `config` when it is given.
    public static func makeModel(
        _ directory: String, _ name: String = "add", versions: [Int] = [1], plusOne: Set<Int> = [], config: String? = nil
    ) throws {
        let folder = directory + "/" + name
        for version in versions {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(version)", withIntermediateDirectories: true)
            let source = model(plusOne.contains(version) ? "add_one.onnx" : "add.onnx")
            try FileManager.default.copyItem(atPath: source, toPath: "\(folder)/\(version)/model.onnx")
        }
        if let config { try config.write(toFile: folder + "/config.pbtxt", atomically: true, encoding: .utf8) }
    }
}
