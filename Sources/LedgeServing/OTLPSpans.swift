internal import Synchronization

/// One span as OTLP carries it.
struct OTLPSpan: Sendable {
    enum Kind: UInt64 {
        case `internal` = 1
        case server = 2
    }

    /// One attribute value.
    enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
    }

    var traceID: [UInt8]
    var spanID: [UInt8]
    /// Empty: a root span.
    var parentSpanID: [UInt8]
    var name: String
    var kind: Kind
    var start: UInt64
    var end: UInt64
    var attributes: [(key: String, value: Value)]
    /// Triton's timestamp names, at Unix nanoseconds.
    var events: [(name: StaticString, ns: UInt64)]
}

/// A finished request's timestamps as the three spans Triton's OpenTelemetry mode exports: the
/// request (`InferRequest`: the protocol's receive and send points), under it the model (named
/// after it: `REQUEST_START`, `QUEUE_START`, `REQUEST_END`), under that `compute` (the four
/// `COMPUTE_*` points). Timestamps move from the monotonic clock to Unix time by `clockOffset`.
enum OTLPTraceSpans {
    /// Which span a timestamp belongs to.
    private enum Owner { case request, model, compute }

    private static func owner(_ name: StaticString) -> Owner {
        name.withUTF8Buffer { bytes in
            if bytes.starts(with: "COMPUTE_".utf8) { return .compute }
            if bytes.starts(with: "REQUEST_".utf8) || bytes.starts(with: "QUEUE_".utf8) { return .model }
            return .request
        }
    }

    static func spans(
        model: String, version: String, requestID: String?, stamps: [(name: StaticString, ns: UInt64)], parent: TraceParent?,
        clockOffset: Int64, ids: TraceIDs
    ) -> [OTLPSpan] {
        guard !stamps.isEmpty else { return [] }
        var points: [Owner: [(name: StaticString, ns: UInt64)]] = [:]
        var first = UInt64.max
        var last = UInt64.min
        for stamp in stamps {
            let ns = UInt64(bitPattern: Int64(bitPattern: stamp.ns) &+ clockOffset)
            points[owner(stamp.name), default: []].append((stamp.name, ns))
            first = min(first, ns)
            last = max(last, ns)
        }
        let traceID = parent?.traceID ?? ids.next(16)
        var attributes: [(key: String, value: OTLPSpan.Value)] = [
            ("model_name", .string(model)), ("model_version", Int64(version).map { .integer($0) } ?? .string(version)),
        ]
        if let requestID { attributes.append(("request_id", .string(requestID))) }
        func span(_ name: String, kind: OTLPSpan.Kind, parent: [UInt8], events: [(name: StaticString, ns: UInt64)]) -> OTLPSpan {
            OTLPSpan(
                traceID: traceID, spanID: ids.next(8), parentSpanID: parent, name: name, kind: kind, start: events.map(\.ns).min() ?? first,
                end: events.map(\.ns).max() ?? last, attributes: attributes, events: events)
        }
        // The request spans every point, even when the protocol stamped none (a request refused early).
        var root = span("InferRequest", kind: .server, parent: parent?.spanID ?? [], events: points[.request] ?? [])
        root.start = first
        root.end = last
        var spans = [root]
        if let modelPoints = points[.model] {
            let modelSpan = span(model, kind: .internal, parent: root.spanID, events: modelPoints)
            spans.append(modelSpan)
            if let computePoints = points[.compute] {
                spans.append(span("compute", kind: .internal, parent: modelSpan.spanID, events: computePoints))
            }
        }
        return spans
    }
}

/// Trace and span ids: random at start, then SplitMix64 of a counter (a bijection: ids never
/// repeat in a process), so a traced request costs no system call for its four ids.
final class TraceIDs: Sendable {
    private let counter: Atomic<UInt64>

    /// Starting from `seed` (a random one by default).
    init(seed: UInt64? = nil) {
        var random = SystemRandomNumberGenerator()
        counter = Atomic(seed ?? random.next())
    }

    /// `count` bytes (a multiple of 8), never all zero.
    func next(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var z = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: (z == 0 ? 1 : z).bigEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}

/// OTLP's `ExportTraceServiceRequest` in protobuf's wire format, written by hand: the handful of
/// messages (opentelemetry-proto's `collector/trace/v1`, `trace/v1`, `resource/v1`, `common/v1`)
/// with their field numbers; the tests decode it with the opentelemetry-proto package.
enum OTLPEncoding {
    static func exportRequest(resource: [OpenTelemetrySettings.Attribute], spans: [OTLPSpan]) -> [UInt8] {
        exportRequest(resource: resource, scopeVersion: nil, items: spans.map(encode))
    }

    /// `Export…ServiceRequest { resource_… = 1 }` holding one `Resource…` (`resource` = 1, `scope_…`
    /// = 2) holding one `Scope…` (`scope` = 1, the spans or metrics = 2): the same field numbers
    /// for both signals.
    static func exportRequest(resource: [OpenTelemetrySettings.Attribute], scopeVersion: String?, items: [ProtobufWriter]) -> [UInt8] {
        var resourceMessage = ProtobufWriter()
        for attribute in resource { resourceMessage.message(1, keyValue(attribute.key, .string(attribute.value))) }  // Resource.attributes
        var scope = ProtobufWriter()
        scope.string(1, "ledge")  // InstrumentationScope.name
        if let scopeVersion { scope.string(2, scopeVersion) }  // InstrumentationScope.version
        var scoped = ProtobufWriter()
        scoped.message(1, scope)  // Scope….scope
        for item in items { scoped.message(2, item) }  // ScopeSpans.spans, ScopeMetrics.metrics
        var resourced = ProtobufWriter()
        resourced.message(1, resourceMessage)  // Resource….resource
        resourced.message(2, scoped)  // Resource….scope_…
        var request = ProtobufWriter()
        request.message(1, resourced)  // Export…ServiceRequest.resource_…
        return request.bytes
    }

    static func encode(_ span: OTLPSpan) -> ProtobufWriter {
        var writer = ProtobufWriter()
        writer.bytes(1, span.traceID)
        writer.bytes(2, span.spanID)
        if !span.parentSpanID.isEmpty { writer.bytes(4, span.parentSpanID) }
        writer.string(5, span.name)
        writer.varint(6, span.kind.rawValue)
        writer.fixed64(7, span.start)
        writer.fixed64(8, span.end)
        for attribute in span.attributes { writer.message(9, keyValue(attribute.key, attribute.value)) }
        for event in span.events {
            var message = ProtobufWriter()
            message.fixed64(1, event.ns)  // Event.time_unix_nano
            message.bytes(2, event.name)  // Event.name
            writer.message(11, message)
        }
        return writer
    }

    /// `KeyValue { key = 1; AnyValue value = 2 }`, `AnyValue { string_value = 1; int_value = 3 }`.
    static func keyValue(_ key: String, _ value: OTLPSpan.Value) -> ProtobufWriter {
        var any = ProtobufWriter()
        switch value {
        case .string(let text): any.string(1, text)
        case .integer(let number): any.varint(3, UInt64(bitPattern: number))
        }
        var pair = ProtobufWriter()
        pair.string(1, key)
        pair.message(2, any)
        return pair
    }
}

/// Protocol buffers' wire format: varints, fixed64 and length-delimited fields (OTLP's messages,
/// and the gRPC server's reflection answers).
package struct ProtobufWriter {
    package private(set) var bytes: [UInt8] = []

    /// An empty message.
    package init() {}

    private mutating func raw(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { raw(varint: UInt64(field) << 3 | wireType) }

    package mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        raw(varint: value)
    }

    package mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    package mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, 2)
        raw(varint: UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    package mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    package mutating func bytes(_ field: Int, _ value: StaticString) {
        value.withUTF8Buffer { bytes(field, Array($0)) }
    }

    package mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }

    /// A packed `repeated fixed64` (or `double`, as bit patterns): one length-delimited field.
    package mutating func packedFixed64(_ field: Int, _ values: [UInt64]) {
        tag(field, 2)
        raw(varint: UInt64(values.count * 8))
        for value in values {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
    }
}
