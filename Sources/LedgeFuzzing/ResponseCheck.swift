#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeServing

/// Checks a V2 response body as a client reads it.
enum ResponseCheck {
    /// The JSON parses as an object with `outputs`; each output has as many `data` values as
    /// its shape says, or a `binary_data_size`, or (those `inSharedMemory`) neither, nor any parameters;
    /// the binary section is as long as those sizes.
    static func check(
        _ response: (body: Data, jsonLength: Int?), outputs expected: Int, inSharedMemory: Set<Int> = [], _ input: UnsafeBufferPointer<UInt8>
    ) throws {
        let target = FuzzTarget.request
        let json = response.jsonLength.map { response.body.prefix($0) } ?? response.body
        guard case .object(let members)? = json.withUnsafeBytes({ JSONParser.parse($0) }), case .array(let outputs)? = members["outputs"]
        else {
            throw target.failure(
                "response JSON does not parse as an object with 'outputs': \(String(decoding: json.prefix(300), as: UTF8.self))", input)
        }
        if outputs.count != expected { throw target.failure("response has \(outputs.count) outputs, expected \(expected)", input) }
        var binaryBytes = 0
        for (n, output) in outputs.enumerated() {
            guard case .object(let fields) = output, case .array(let dims)? = fields["shape"] else {
                throw target.failure("response output \(n) has no shape", input)
            }
            var elements = 1
            for dim in dims {
                guard case .int(let value) = dim, value >= 0 else { throw target.failure("response output \(n) has shape \(dims)", input) }
                elements = elements.multipliedReportingOverflow(by: Int(value)).partialValue
            }
            if inSharedMemory.contains(n) {
                if fields["data"] != nil || fields["parameters"] != nil {
                    throw target.failure("response output \(n) was written to shared memory but carries data or parameters", input)
                }
            } else if case .array(let data)? = fields["data"] {
                if data.count != elements {
                    throw target.failure("response output \(n) has \(data.count) values for shape \(dims) (\(elements) elements)", input)
                }
            } else if case .object(let parameters)? = fields["parameters"], case .int(let size)? = parameters["binary_data_size"] {
                binaryBytes += Int(size)
            } else {
                throw target.failure("response output \(n) has neither 'data' nor parameters.binary_data_size", input)
            }
        }
        if binaryBytes != response.body.count - json.count {
            throw target.failure("response declares \(binaryBytes) binary bytes but carries \(response.body.count - json.count)", input)
        }
    }
}
