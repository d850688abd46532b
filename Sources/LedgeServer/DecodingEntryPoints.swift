#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import HummingbirdCore
package import LedgeCore
package import LedgeServing
package import Logging
package import NIOCore
internal import NIOHTTP1
internal import NIOHTTPTypesHTTP1

/// The server's decoders of untrusted bytes, reachable from the package's other
/// modules (the fuzz targets of `LedgeFuzzing`) without widening the decoders'
/// own access: each is what a route calls, unchanged.
package enum DecodingEntryPoints {
    /// `POST /v2/models/{m}/infer`: the `Inference-Header-Content-Length` value as a route
    /// reads it, then the body split into JSON and binary sections and decoded.
    package static func v2Request(body: Data, lengthHeader: String?) throws -> InferenceRequest {
        try V2InferenceCoding.request(body: body, jsonLength: try V2InferenceCoding.jsonLength(header: lengthHeader))
    }

    /// The V2 response body of `response`, and its JSON length when a binary section follows.
    package static func v2Body(for response: InferenceResponse) -> (body: Data, jsonLength: Int?) {
        V2InferenceCoding.body(for: response)
    }

    /// The multipart parts of `body` under `contentType`: each part's field name, file name,
    /// content type and content.
    package static func multipartParts(_ body: Data, contentType: String) throws -> [(
        fieldName: String?, fileName: String?, contentType: String?, body: Data
    )] {
        try Multipart.parse(body, boundary: try Multipart.boundary(contentType: contentType)).map {
            ($0.fieldName, $0.fileName, $0.contentType, $0.body)
        }
    }

    /// The image a `classify` route takes from a multipart form.
    package static func imageUpload(multipart body: Data, contentType: String) throws -> ImageUpload {
        try ImageUpload.fromMultipart(body, contentType: contentType)
    }

    /// The Seldon message a multipart form stands for.
    package static func seldonMessage(multipart body: Data, contentType: String) throws -> JSONValue {
        try SeldonForm.multipart(body, contentType: contentType)
    }

    /// A KServe v1 / TensorFlow Serving predict request as its route reads one: the items of
    /// `body` (`instances`, or the batch or its single items of `inputs`), each item's tensors for
    /// `model` in its input order, and the answer (`{"predictions"}` or `{"outputs"}`) those
    /// tensors make when echoed as outputs of the same names.
    package static func v1Echo(_ body: [UInt8], model: ServedModel) throws -> (tensors: [[Tensor]], answer: Data) {
        let tensors: [[Tensor]]
        let request = try V1Coding.request(Data(body), model: model.name)
        switch request {
        case .rows(let instances): tensors = try instances.enumerated().map { n, instance in try V1Coding.tensors(of: instance, at: n, for: model) }
        case .columns(let inputs): tensors = try V1Columns.items(inputs, for: model)
        }
        let joined = try model.info.inputs.indices.map { i in try Tensor.concatenating(tensors.map { $0[i] }) }
        let outputs = zip(model.info.inputs, joined).map { (name: $0.name, tensor: $1) }
        if case .rows = request { return (tensors, V1Coding.predictions(outputs, count: tensors.count)) }
        return (tensors, V1Columns.outputs(outputs))
    }

    /// A Seldon prediction as its route reads one: `body` as the JSON message (with `form`, an
    /// URL-encoded form or query whose `json` field holds it), its payload and `meta`, the tensors
    /// of `data` (for the first of `inputs`) or `jsonData` (by name), and the answer those
    /// tensors make when echoed as the outputs. `nil` for a `binData` image or a form without `json`.
    package static func seldonEcho(_ body: [UInt8], form: Bool, inputs: [TensorSpec], model: String) throws -> (
        tensors: [Tensor], answer: Data
    )? {
        let json: JSONValue
        if form {
            guard let text = try SeldonForm.field("json", in: body) else { return nil }
            json = try SeldonForm.json(text, from: "form field 'json'")
        } else {
            json = try SeldonForm.json(body, from: "the request body")
        }
        let message = try SeldonCoding.decode(json)
        let meta = try SeldonMeta(request: message.meta, model: model, server: "0")
        switch message.payload {
        case .binData:
            return nil
        case .data(let input):
            let tensor = try SeldonCoding.tensor(input, spec: inputs[0], model: model)
            let output = SeldonResponse.Output(tensor: tensor, form: input.form, names: SeldonResponse.names(for: tensor, labels: nil))
            return ([tensor], SeldonResponse.data(output, meta: meta))
        case .jsonData(let entries):
            let named = try entries.map { entry in
                guard let spec = inputs.first(where: { $0.name == entry.name }) else {
                    throw LedgeError.invalidInput("field 'jsonData.\(entry.name)' is not an input of model '\(model)'")
                }
                return (name: entry.name, tensor: try SeldonCoding.tensor(entry.input, spec: spec, model: model), form: entry.input.form)
            }
            let outputs = named.map {
                (
                    name: $0.name,
                    output: SeldonResponse.Output(tensor: $0.tensor, form: $0.form, names: SeldonResponse.names(for: $0.tensor, labels: nil))
                )
            }
            return (named.map(\.tensor), SeldonResponse.jsonData(outputs, meta: meta))
        }
    }

    /// Adds to `channel` the HTTP/1 server handlers `ledge serve` puts on a connection, as
    /// ``GuardedHTTP1Channel`` and HummingbirdCore's `HTTP1Channel` set them up, up to and
    /// including Hummingbird's connection state handler: the application's handler goes after.
    package static func addGuardedHTTP1Handlers(to channel: any Channel, limits: ConnectionLimits, logger: Logger) throws {
        let pipeline = channel.pipeline.syncOperations
        let guardHandler = HTTPGuardHandler(configuration: HTTPGuardConfiguration(limits), logger: logger)
        try pipeline.addHandler(RawInboundObserver(guardHandler: guardHandler))
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderSize
        decoderLimits.maxHeaderListSize = limits.maxHeaderSize
        decoderLimits.maxHeaderFieldCount = ConnectionLimits.maxHeaderFieldCount
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(guardHandler)
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
    }
}
