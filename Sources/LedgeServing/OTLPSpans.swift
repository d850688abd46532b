/// One span as OTLP carries it.
struct OTLPSpan: Sendable, Equatable {
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
    var events: [(name: String, ns: UInt64)]

    static func == (a: OTLPSpan, b: OTLPSpan) -> Bool {
        a.traceID == b.traceID && a.spanID == b.spanID && a.parentSpanID == b.parentSpanID && a.name == b.name && a.kind == b.kind
            && a.start == b.start && a.end == b.end && a.attributes.elementsEqual(b.attributes) { $0 == $1 }
            && a.events.elementsEqual(b.events) { $0 == $1 }
    }
}

/// A finished request's timestamps as the three spans Triton's OpenTelemetry mode exports: the
/// request (`InferRequest`: the protocol's receive and send points), under it the model (named
/// after it: `REQUEST_START`, `QUEUE_START`, `REQUEST_END`), under that `compute` (the four
/// compute points). Timestamps move from the monotonic clock to Unix time by `clockOffset`.
enum OTLPTraceSpans {
    static let computePoints: Set<String> = ["COMPUTE_START", "COMPUTE_INPUT_END", "COMPUTE_OUTPUT_START", "COMPUTE_END"]
    static let modelPoints: Set<String> = ["REQUEST_START", "QUEUE_START", "REQUEST_END"]

    static func spans(
        model: String, version: String, requestID: String?, stamps: [(name: String, ns: UInt64)], parent: TraceParent?,
        clockOffset: Int64, randomBytes: (Int) -> [UInt8]
    ) -> [OTLPSpan] {
        guard !stamps.isEmpty else { return [] }
        let events = stamps.map { (name: $0.name, ns: UInt64(bitPattern: Int64(bitPattern: $0.ns) &+ clockOffset)) }
        let traceID = parent?.traceID ?? randomBytes(16)
        var attributes: [(key: String, value: OTLPSpan.Value)] = [
            ("model_name", .string(model)), ("model_version", Int64(version).map { .integer($0) } ?? .string(version)),
        ]
        if let requestID { attributes.append(("request_id", .string(requestID))) }

        func span(_ name: String, kind: OTLPSpan.Kind, parent: [UInt8], points: [(name: String, ns: UInt64)]) -> OTLPSpan? {
            guard let first = points.map(\.ns).min(), let last = points.map(\.ns).max() else { return nil }
            return OTLPSpan(
                traceID: traceID, spanID: randomBytes(8), parentSpanID: parent, name: name, kind: kind, start: first, end: last,
                attributes: attributes, events: points)
        }
        let rootPoints = events.filter { !modelPoints.contains($0.name) && !computePoints.contains($0.name) }
        // The request spans every point even when the protocol stamped none (a request refused early).
        guard
            var root = span(
                "InferRequest", kind: .server, parent: parent?.spanID ?? [], points: rootPoints.isEmpty ? [events[0]] : rootPoints)
        else { return [] }
        root.start = min(root.start, events.map(\.ns).min() ?? root.start)
        root.end = max(root.end, events.map(\.ns).max() ?? root.end)
        if rootPoints.isEmpty { root.events = [] }
        var spans = [root]
        if let modelSpan = span(model, kind: .internal, parent: root.spanID, points: events.filter { modelPoints.contains($0.name) }) {
            spans.append(modelSpan)
            if let compute = span("compute", kind: .internal, parent: modelSpan.spanID, points: events.filter { computePoints.contains($0.name) }) {
                spans.append(compute)
            }
        }
        return spans
    }
}

/// OTLP's `ExportTraceServiceRequest` in protobuf's wire format, written by hand: the handful of
/// messages (opentelemetry-proto's `collector/trace/v1`, `trace/v1`, `resource/v1`, `common/v1`)
/// with their field numbers; the tests decode it with the opentelemetry-proto package.
enum OTLPEncoding {
    static func exportRequest(resource: [OpenTelemetrySettings.Attribute], spans: [OTLPSpan]) -> [UInt8] {
        var resourceMessage = ProtobufWriter()
        for attribute in resource { resourceMessage.message(1, keyValue(attribute.key, .string(attribute.value))) }  // Resource.attributes
        var scope = ProtobufWriter()
        scope.string(1, "ledge")  // InstrumentationScope.name
        var scopeSpans = ProtobufWriter()
        scopeSpans.message(1, scope)  // ScopeSpans.scope
        for span in spans { scopeSpans.message(2, encode(span)) }  // ScopeSpans.spans
        var resourceSpans = ProtobufWriter()
        resourceSpans.message(1, resourceMessage)  // ResourceSpans.resource
        resourceSpans.message(2, scopeSpans)  // ResourceSpans.scope_spans
        var request = ProtobufWriter()
        request.message(1, resourceSpans)  // ExportTraceServiceRequest.resource_spans
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
            message.string(2, event.name)  // Event.name
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

/// Protocol buffers' wire format: varints, fixed64 and length-delimited fields.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func raw(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { raw(varint: UInt64(field) << 3 | wireType) }

    mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        raw(varint: value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, 2)
        raw(varint: UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}
