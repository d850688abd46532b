internal import Dispatch
internal import GRPCCore
internal import GRPCNIOTransportHTTP2Posix
internal import LedgeCore
internal import LedgeFetch
internal import Synchronization

/// OTLP over gRPC (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc`: what MLServer's exporter speaks and
/// what collectors listen for on port 4317): the same protobuf `ExportTraceServiceRequest` as over
/// HTTP, sent as `opentelemetry.proto.collector.trace.v1.TraceService/Export` on one HTTP/2
/// connection kept between exports (grpc-swift 2). TLS for an `https` endpoint, verified against
/// the settings' CA file, else `SSL_CERT_FILE`'s, else the system's roots, with their client certificate; headers go as
/// metadata, gzip as gRPC's message compression, the timeout as the call's deadline.
final class OTLPGRPCSender: OTLPSender {
    let description: String
    private let client: Result<GRPCClient<HTTP2ClientTransport.Posix>, OTLPSetupFailure>
    private let metadata: Metadata
    private let options: CallOptions
    private let timeoutSeconds: Int

    private let method: MethodDescriptor

    init(settings: OpenTelemetrySettings, endpoint: OTLPEndpoint) {
        method = MethodDescriptor(fullyQualifiedService: settings.signal.service, method: "Export")
        let secure = endpoint.url.secure
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        description = (secure ? "https://" : "http://") + host + ":\(endpoint.port)"
        var metadata = Metadata()
        for header in settings.headers { metadata.addString(header.value, forKey: header.key.lowercased()) }
        self.metadata = metadata
        var options = CallOptions.defaults
        options.timeout = .milliseconds(settings.timeoutMilliseconds)
        options.waitForReady = false  // a collector that is down fails the export now, as over HTTP
        self.options = options
        timeoutSeconds = (settings.timeoutMilliseconds + 999) / 1000
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        let roots: TrustRoots?
        do {
            roots = secure ? try HTTPClient.roots(settings.certificate) : nil
        } catch {
            client = .failure(OTLPSetupFailure(reason: "\(error)"))
            return
        }
        if secure {
            security = .tls { tls in
                switch roots {
                case .file(let path)?: tls.trustRoots = .certificates([.file(path: path, format: .pem)])
                case .certificates(let certificates)?: tls.trustRoots = .certificates(certificates.map { .bytes($0, format: .der) })
                case nil: break
                }
                if let identity = settings.identity {
                    tls.certificateChain = [.file(path: identity.certificateFile, format: .pem)]
                    tls.privateKey = .file(path: identity.keyFile, format: .pem)
                }
            }
        } else {
            security = .plaintext
        }
        do {
            let transport = try HTTP2ClientTransport.Posix(
                target: Self.target(host: endpoint.host, port: endpoint.port), transportSecurity: security,
                config: .defaults { config in
                    if settings.gzip { config.compression = .init(algorithm: .gzip, enabledAlgorithms: .gzip) }
                })
            let client = GRPCClient(transport: transport)
            Task.detached { try? await client.runConnections() }
            self.client = .success(client)
        } catch {
            client = .failure(OTLPSetupFailure(reason: "cannot set up the gRPC client: \(error)"))
        }
    }

    func send(_ body: [UInt8]) -> OTLPDelivery {
        let client: GRPCClient<HTTP2ClientTransport.Posix>
        switch self.client {
        case .success(let made): client = made
        case .failure(let failure): return .failed(failure.reason)
        }
        let outcome = Mutex<OTLPDelivery?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task { [metadata, options, timeoutSeconds, method] in
            let delivery: OTLPDelivery
            do {
                delivery = try await client.unary(
                    request: ClientRequest(message: body, metadata: metadata), descriptor: method, serializer: OTLPBytesCoder(),
                    deserializer: OTLPBytesCoder(), options: options
                ) { response in
                    _ = try response.message
                    return OTLPDelivery.delivered
                }
            } catch {
                delivery = Self.delivery(error, timeoutSeconds: timeoutSeconds)
            }
            outcome.withLock { $0 = delivery }
            finished.signal()
        }
        finished.wait()
        return outcome.withLock { $0! }
    }

    func close() {
        if case .success(let client) = client { client.beginGracefulShutdown() }
    }

    /// OTLP/gRPC's retryable codes (the specification's list), after the delay of a `RetryInfo`
    /// detail when the collector gave one; RESOURCE_EXHAUSTED only with one (the collector says it
    /// will recover). DEADLINE_EXCEEDED is ours: the export's timeout, not retried (a stalled
    /// collector would hold the exporter 4 × as long).
    static func delivery(_ error: any Error, timeoutSeconds: Int) -> OTLPDelivery {
        guard let error = error as? RPCError else { return .failed("\(error)") }
        switch error.code {
        case .deadlineExceeded:
            return .failed("no answer within \(timeoutSeconds) s")
        case .unavailable where error.message.hasPrefix("Channel is in a transient failure state"):
            // Not an answer: no connection to the collector (refused, TLS refused), dropped at once as over HTTP.
            return .failed(error.cause.map(HTTPClient.describe) ?? error.message)
        default:
            let retryable: Set<RPCError.Code> = [.cancelled, .aborted, .outOfRange, .unavailable, .dataLoss]
            let name = Self.names[error.code] ?? "\(error.code)"
            let delay = error.metadata[binaryValues: "grpc-status-details-bin"].lazy.compactMap(OTLPRetryInfo.delay).first
            return .refused(
                answer: error.message.isEmpty ? name : "\(name) (\(error.message.prefix(200)))",
                retryable: retryable.contains(error.code) || (error.code == .resourceExhausted && delay != nil),
                retryAfter: delay.map { String($0) })
        }
    }

    private static let names: [RPCError.Code: String] = [
        .cancelled: "CANCELLED", .unknown: "UNKNOWN", .invalidArgument: "INVALID_ARGUMENT", .notFound: "NOT_FOUND",
        .alreadyExists: "ALREADY_EXISTS", .permissionDenied: "PERMISSION_DENIED", .resourceExhausted: "RESOURCE_EXHAUSTED",
        .failedPrecondition: "FAILED_PRECONDITION", .aborted: "ABORTED", .outOfRange: "OUT_OF_RANGE", .unimplemented: "UNIMPLEMENTED",
        .internalError: "INTERNAL", .unavailable: "UNAVAILABLE", .dataLoss: "DATA_LOSS", .unauthenticated: "UNAUTHENTICATED",
    ]

    /// An IP address as it is (no name lookup), else a name to resolve.
    private static func target(host: String, port: Int) -> any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) { return .ipv4(address: host, port: port) }
        return .dns(host: host, port: port)
    }
}

/// Why the gRPC client could not be made.
struct OTLPSetupFailure: Error {
    var reason: String
}

/// The export's bytes as they are: the body is encoded by ``OTLPEncoding``, the answer not read.
private struct OTLPBytesCoder: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// The delay of a `google.rpc.RetryInfo` among the details of a `google.rpc.Status` (the
/// `grpc-status-details-bin` trailer), read from protobuf's wire format: Status `details`
/// (field 3) are `Any`s (`type_url` 1, `value` 2); RetryInfo's `retry_delay` (1) is a Duration
/// (`seconds` 1, `nanos` 2). Whole seconds, rounded up; `nil` without one.
enum OTLPRetryInfo {
    static let typeURL = Array("type.googleapis.com/google.rpc.RetryInfo".utf8)

    static func delay(status: [UInt8]) -> Int? {
        status.withUnsafeBytes { bytes in
            for detail in fields(bytes, 0..<bytes.count) where detail.number == 3 {
                guard case .bytes(let any) = detail.value else { continue }
                let parts = fields(bytes, any)
                let isRetryInfo = parts.contains {
                    if $0.number == 1, case .bytes(let url) = $0.value { return bytes[url].elementsEqual(typeURL) }
                    return false
                }
                guard isRetryInfo, case .bytes(let info)? = parts.first(where: { $0.number == 2 })?.value,
                    case .bytes(let duration)? = fields(bytes, info).first(where: { $0.number == 1 })?.value
                else { continue }
                var (seconds, nanos): (UInt64, UInt64) = (0, 0)
                for field in fields(bytes, duration) {
                    if field.number == 1, case .varint(let value) = field.value { seconds = value }
                    if field.number == 2, case .varint(let value) = field.value { nanos = value }
                }
                guard seconds < 1 << 31, nanos < 1_000_000_000 else { return nil }  // negative or nonsense
                return Int(seconds) + (nanos > 0 ? 1 : 0)
            }
            return nil
        }
    }

    /// The fields of the message in `range`, up to the first malformed one.
    private static func fields(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> [(number: UInt64, value: WireReader.Value)] {
        var reader = WireReader(bytes: bytes, range: range)
        var out: [(number: UInt64, value: WireReader.Value)] = []
        while !reader.atEnd, let field = reader.next() { out.append(field) }
        return out
    }
}
