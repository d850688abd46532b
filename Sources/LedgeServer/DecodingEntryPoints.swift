#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import HummingbirdCore
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
