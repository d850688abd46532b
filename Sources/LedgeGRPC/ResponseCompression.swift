internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

/// How much the server compresses infer responses (Triton's `--grpc-infer-response-compression-level`).
///
/// As in gRPC's C core, which Triton uses, the level only picks the algorithm among those the client
/// accepts (`grpc-accept-encoding`): `low` the first of gzip and deflate, `med` and `high` the last,
/// both at zlib's default level. A client that accepts neither gets plain responses.
public enum GRPCResponseCompression: String, Sendable, CaseIterable {
    case none, low, med, high

    /// The algorithm this level picks among `accepted` names, or `nil` for none.
    func algorithm(accepting accepted: Set<Substring>) -> String? {
        let ranked = ["gzip", "deflate"].filter { accepted.contains(Substring($0)) }
        switch self {
        case .none: return nil
        case .low: return ranked.first
        case .med: return ranked.isEmpty ? nil : ranked[ranked.count / 2]
        case .high: return ranked.last
        }
    }
}

/// Makes grpc-swift compress an infer call's responses with the algorithm a level picks.
///
/// grpc-swift's server compresses its responses with the first algorithm in the client's
/// `grpc-accept-encoding` it supports, and gRPC clients list `identity` first, so it never
/// compresses them; it has no setting of its own. This handler, first in an infer call's stream,
/// leaves only the chosen algorithm in that header of the request's HEADERS frame before
/// grpc-swift reads it, then removes itself. Other methods' responses stay plain, as in Triton.
final class ResponseCompressionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    /// The methods whose responses are compressed: Triton's infer calls.
    static let paths: Set<String> = [
        "/inference.GRPCInferenceService/ModelInfer", "/inference.GRPCInferenceService/ModelStreamInfer",
    ]

    private let level: GRPCResponseCompression

    init(level: GRPCResponseCompression) {
        self.level = level
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .headers(var headers) = unwrapInboundIn(data) else {
            return context.fireChannelRead(data)
        }
        if let path = headers.headers.first(name: ":path"), Self.paths.contains(path) {
            let accepted = Set(
                headers.headers[canonicalForm: "grpc-accept-encoding"].map {
                    $0.lowercased()[...]
                })
            if let algorithm = level.algorithm(accepting: accepted) {
                headers.headers.replaceOrAdd(name: "grpc-accept-encoding", value: algorithm)
                context.fireChannelRead(wrapInboundOut(.headers(headers)))
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
