#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import SwiftProtobuf

extension OnnxSummary_ModelSummary {
    /// `data` decoded as the summary's subset of a ModelProto, everything else (the weights)
    /// skipped without a copy; `nil` when it is not a well-formed protobuf with a graph.
    package static func decode(_ data: Data) -> OnnxSummary_ModelSummary? {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        guard let summary = try? OnnxSummary_ModelSummary(serializedBytes: data, options: options), summary.hasGraph else {
            return nil
        }
        return summary
    }
}
