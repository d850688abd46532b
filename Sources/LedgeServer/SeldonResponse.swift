#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing
internal import LedgeEngine

/// Seldon Core v1 answers, with keys sorted as the Python wrapper's Flask
/// `jsonify` sorts them: `{"data": {"names": […], "ndarray" | "tensor": …}, "meta": {…}}`,
/// `{"jsonData": {OUTPUT: {"names": …, "ndarray" | "tensor": …}}, "meta": {…}}`,
/// and errors as the wrapper's `SeldonMicroserviceException`.
enum SeldonResponse {
    /// One output of an answer: the tensor, the form to send it in and its column names.
    struct Output {
        var tensor: Tensor
        var form: SeldonCoding.Form
        var names: [String]
    }

    /// `{"data": …, "meta": …}` for one output.
    static func data(_ output: Output, meta: SeldonMeta) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"data":"#)
        json.defaultData(output)
        json.raw(#","meta":"#)
        meta.write(into: &json)
        json.raw("}")
        return Data(json.bytes)
    }

    /// `{"jsonData": {OUTPUT: …}, "meta": …}` for every output, by name.
    static func jsonData(_ outputs: [(name: String, output: Output)], meta: SeldonMeta) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"jsonData":{"#)
        for (index, entry) in outputs.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { json.raw(",") }
            json.string(entry.name)
            json.raw(":")
            json.defaultData(entry.output)
        }
        json.raw(#"},"meta":"#)
        meta.write(into: &json)
        json.raw("}")
        return Data(json.bytes)
    }

    /// A classifier's answer: `names` are the top labels, best first, and `ndarray` one row of their scores.
    static func classification(_ top: [ScoredLabel], meta: SeldonMeta) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"data":{"names":"#)
        json.array(top) { $0.string($1.label) }
        json.raw(#","ndarray":["#)
        json.array(top) { $0.float($1.score) }
        json.raw(#"]},"meta":"#)
        meta.write(into: &json)
        json.raw("}")
        return Data(json.bytes)
    }

    /// Column names of an output as the wrapper gives them: for a tensor of rank 2 or more, one
    /// per entry of its second dimension, the model's labels when it has that many, else
    /// `t:0`, `t:1`, …; none for a lower rank.
    static func names(for tensor: Tensor, labels: [String]?) -> [String] {
        guard tensor.shape.count > 1 else { return [] }
        let columns = tensor.shape[1]
        if let labels, labels.count == columns { return labels }
        return (0..<columns).map { "t:\($0)" }
    }

    /// `error` as the wrapper answers a `SeldonMicroserviceException`: its HTTP status and
    /// `{"status": {"code": -1, "info": MESSAGE, "reason": REASON, "status": 1}}` (1 is FAILURE),
    /// the reason `MICROSERVICE_BAD_DATA` for 4xx and `MICROSERVICE_INTERNAL_ERROR` for 5xx.
    static func status(_ error: ServerError) -> Response {
        var json = SeldonJSON()
        json.raw(#"{"status":{"code":-1,"info":"#)
        json.string(error.message)
        json.raw(#","reason":"#)
        json.string(error.status.code >= 500 ? "MICROSERVICE_INTERNAL_ERROR" : "MICROSERVICE_BAD_DATA")
        json.raw(#","status":1}}"#)
        return JSONResponse.make(data: Data(json.bytes), status: error.status)
    }
}

/// JSON bytes for Seldon answers; values are spelled by ``JSONWriter``.
struct SeldonJSON {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func bytes(_ text: ArraySlice<UInt8>) { bytes.append(contentsOf: text) }

    mutating func string(_ text: String) { write { $0.string(text) } }

    mutating func float(_ value: Float) { write { $0.float(value) } }

    mutating func array<T>(_ items: [T], _ element: (inout SeldonJSON, T) -> Void) {
        raw("[")
        for (index, item) in items.enumerated() {
            if index > 0 { raw(",") }
            element(&self, item)
        }
        raw("]")
    }

    private mutating func write(_ body: (inout JSONWriter) -> Void) {
        var writer = JSONWriter(capacity: 32)
        body(&writer)
        bytes.append(contentsOf: writer.bytes)
    }

    /// `{"names": […], "ndarray": …}` or `{"names": […], "tensor": {"shape": …, "values": …}}`.
    mutating func defaultData(_ output: SeldonResponse.Output) {
        raw(#"{"names":"#)
        array(output.names) { $0.string($1) }
        let elements = Self.elements(of: output.tensor, form: output.form)
        switch output.form {
        case .ndarray:
            raw(#","ndarray":"#)
            let shape = output.tensor.shape.isEmpty ? [1] : output.tensor.shape
            nested(elements, shape: shape, level: 0, offset: 0)
        case .tensor:
            raw(#","tensor":{"shape":"#)
            array(output.tensor.shape) { $0.raw(String($1)) }
            raw(#","values":"#)
            array(elements) { $0.bytes.append(contentsOf: $1) }
            raw("}")
        }
        raw("}")
    }

    /// Nested lists of `shape` over the row-major `elements`.
    mutating func nested(_ elements: [ArraySlice<UInt8>], shape: [Int], level: Int, offset: Int) {
        raw("[")
        let stride = shape[(level + 1)...].reduce(1, *)
        for index in 0..<shape[level] {
            if index > 0 { raw(",") }
            if level == shape.count - 1 {
                bytes.append(contentsOf: elements[offset + index])
            } else {
                nested(elements, shape: shape, level: level + 1, offset: offset + index * stride)
            }
        }
        raw("]")
    }

    /// The JSON text of each value of `tensor`, row-major. In the tensor form (repeated
    /// doubles in Seldon's proto) booleans are 1 and 0 and non-finite values are spelled as
    /// protobuf's JSON mapping spells them.
    static func elements(of tensor: Tensor, form: SeldonCoding.Form) -> [ArraySlice<UInt8>] {
        var writer = JSONWriter(capacity: tensor.shape.reduce(1, *) * 8 + 2)
        writer.values(of: tensor)  // "[v,v,…]": no value holds a comma
        let inner = writer.bytes.dropFirst().dropLast()
        guard !inner.isEmpty else { return [] }
        let elements = inner.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard form == .tensor else { return elements }
        let protobuf: [String: String] = [
            "true": "1", "false": "0", #""nan""#: #""NaN""#, #""inf""#: #""Infinity""#, #""-inf""#: #""-Infinity""#,
        ]
        return elements.map { element in
            guard element.first == UInt8(ascii: "t") || element.first == UInt8(ascii: "f") || element.first == UInt8(ascii: "\""),
                let spelled = protobuf[String(decoding: element, as: UTF8.self)]
            else { return element }
            return ArraySlice(spelled.utf8)
        }
    }
}
