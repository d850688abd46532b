#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import SwiftProtobuf

extension OnnxSummary_ModelSummary {
    /// `data` decoded as the summary's subset of a ModelProto (generated from our
    /// `Protos/onnx_summary.proto`), everything else (the weights) skipped without a copy; else
    /// why the protobuf does not decode, in words.
    package static func decoding(_ data: Data) -> Result<OnnxSummary_ModelSummary, ONNXDecodingFailure> {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        do {
            return .success(try OnnxSummary_ModelSummary(serializedBytes: data, options: options))
        } catch let error as BinaryDecodingError {
            switch error {
            case .truncated: return .failure(ONNXDecodingFailure(reason: "the protobuf ends in the middle of a field"))
            case .malformedProtobuf: return .failure(ONNXDecodingFailure(reason: "a protobuf field is malformed"))
            case .invalidUTF8: return .failure(ONNXDecodingFailure(reason: "a string is not UTF-8"))
            case .messageDepthLimit: return .failure(ONNXDecodingFailure(reason: "messages nest more than 100 deep"))
            default: return .failure(ONNXDecodingFailure(reason: "the protobuf does not decode (\(error))"))
            }
        } catch {
            return .failure(ONNXDecodingFailure(reason: "the protobuf does not decode (\(error))"))
        }
    }

    /// The summary of a well-formed ModelProto with a graph, else `nil`.
    package static func decode(_ data: Data) -> OnnxSummary_ModelSummary? {
        guard case .success(let summary) = decoding(data), summary.hasGraph else { return nil }
        return summary
    }
}

/// Why bytes are not an ONNX model's protobuf.
package struct ONNXDecodingFailure: Error {
    package var reason: String
}
