#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

/// What `ledge inspect --json` prints: a stable, documented schema.
public struct InspectReport: Encodable, Sendable {
    public struct Quant: Encodable, Sendable {
        public var scale: Float
        public var zero_point: Int64
        /// Present for per-channel quantization only.
        public var scales: [Float]?
        public var zero_points: [Int64]?
        public var axis: Int?
    }

    public struct TensorEntry: Encodable, Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var quantization: Quant?

        // `quantization` is written as null, not left out, when absent.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(dtype, forKey: .dtype)
            try c.encode(shape, forKey: .shape)
            if let quantization { try c.encode(quantization, forKey: .quantization) } else { try c.encodeNil(forKey: .quantization) }
        }
        enum CodingKeys: String, CodingKey { case name, dtype, shape, quantization }
    }

    public struct Metadata: Encodable, Sendable {
        public var name: String?
        public var description: String?
        public var version: String?
        public var author: String?
        public var associated_files: [String]
        public var labels_count: Int
        /// The `config.json` beside the model the labels came from, when they are not the model's own.
        public var labels_source: String?
        public var normalization: [String: [Float]]?
        /// The image recipe of a `preprocessor_config.json` beside the model: `source` and `steps`.
        public var preprocessing: [String: String]?
        public var properties: [String: String]
    }

    public struct Operator: Encodable, Sendable {
        public var op: String
        public var count: Int
    }

    public var path: String
    public var format: String
    public var runtime: String
    public var runtime_version: String
    public var size_bytes: Int
    public var inputs: [TensorEntry]
    public var outputs: [TensorEntry]
    public var signatures: [String]
    public var metadata: Metadata
    public var operators: [Operator]
    public var quantized: String

    public init(info: ModelInfo) {
        func entry(_ spec: TensorSpec) -> TensorEntry {
            let quant = spec.quantization.map { q in
                Quant(
                    scale: q.scale, zero_point: q.zeroPoint,
                    scales: q.scales.count > 1 ? q.scales : nil,
                    zero_points: q.zeroPoints.count > 1 ? q.zeroPoints : nil,
                    axis: q.scales.count > 1 ? q.axis : nil)
            }
            return TensorEntry(name: spec.name, dtype: spec.dtype.rawValue, shape: spec.shape, quantization: quant)
        }
        path = info.path
        format = info.format.rawValue
        runtime = info.format.runtimeName
        runtime_version = info.runtimeVersion
        size_bytes = info.sizeBytes
        inputs = info.inputs.map(entry)
        outputs = info.outputs.map(entry)
        signatures = info.signatures
        let m = info.metadata
        metadata = Metadata(
            name: m.name, description: m.description, version: m.version, author: m.author,
            associated_files: m.associatedFiles, labels_count: m.labels?.count ?? 0, labels_source: m.labelsSource,
            normalization: m.normalization.map { ["mean": $0.mean, "std": $0.std] },
            preprocessing: m.recipe.map { ["source": $0.source, "steps": $0.summary] },
            properties: m.properties)
        operators = info.operators.map { Operator(op: $0.name, count: $0.count) }
        quantized = info.quantized?.rawValue ?? "unknown"
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
