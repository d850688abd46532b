public import LedgeCore

/// What a model's `TFLITE_METADATA` buffer says (metadata_schema.fbs, `ModelMetadata`).
public struct TFLiteMetadata: Sendable, Hashable {
    /// An associated file: its name and `AssociatedFileType` value.
    public struct AssociatedFile: Sendable, Hashable {
        public var name: String
        /// 1 descriptions, 2 tensor axis labels, 3 tensor value labels, 4 score calibration, 5 vocabulary.
        public var type: Int8
        public static let tensorAxisLabels: Int8 = 2
    }

    public var name: String?
    public var description: String?
    public var version: String?
    public var author: String?
    /// Associated files of the model, its subgraphs and their tensors, in that order.
    public var associatedFiles: [AssociatedFile] = []
    /// `NormalizationOptions` of the first input tensor's process units.
    public var normalization: Normalization?

    /// Parses a metadata flatbuffer, throwing ``FlatBufferError`` naming the part at fault.
    static func parse(_ bytes: [UInt8]) throws -> TFLiteMetadata {
        let fb = FlatBuffer(bytes)
        let root = try fb.root("metadata")
        var result = TFLiteMetadata()
        result.name = try root.string(0, "metadata name")
        result.description = try root.string(1, "metadata description")
        result.version = try root.string(2, "metadata version")
        result.author = try root.string(4, "metadata author")
        var files = try files(root, 6, "metadata associated_files")
        for (s, subgraph) in try root.tables(3, "metadata subgraph_metadata").enumerated() {
            let what = "metadata subgraph_metadata[\(s)]"
            files += try Self.files(subgraph, 4, "\(what) associated_files")
            for (field, kind) in [(2, "input"), (3, "output")] {
                for (i, tensor) in try subgraph.tables(field, "\(what) \(kind)_tensor_metadata").enumerated() {
                    let tensorWhat = "\(what) \(kind)_tensor_metadata[\(i)]"
                    files += try Self.files(tensor, 6, "\(tensorWhat) associated_files")
                    if s == 0, field == 2, i == 0 {
                        result.normalization = try normalization(tensor, tensorWhat)
                    }
                }
            }
        }
        result.associatedFiles = files
        return result
    }

    private static func files(_ table: FlatTable, _ field: Int, _ what: String) throws -> [AssociatedFile] {
        try table.tables(field, what).map { file in
            AssociatedFile(
                name: try file.string(0, "\(what) name") ?? "",
                type: Int8(bitPattern: try file.u8(2, "\(what) type")))
        }
    }

    /// The first `NormalizationOptions` (union type 1) among the tensor's process units.
    private static func normalization(_ tensor: FlatTable, _ what: String) throws -> Normalization? {
        for unit in try tensor.tables(4, "\(what) process_units") where try unit.u8(0, "\(what) process unit type") == 1 {
            guard let options = try unit.table(1, "\(what) normalization options") else { continue }
            let mean = try options.floats(0, "\(what) normalization mean") ?? []
            let std = try options.floats(1, "\(what) normalization std") ?? []
            guard !mean.isEmpty, !std.isEmpty else { continue }
            return Normalization(mean: mean, std: std)
        }
        return nil
    }
}
