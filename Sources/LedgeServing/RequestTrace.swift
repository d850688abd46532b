package import LedgeCore
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// One traced inference request: its timestamps (Triton's names, nanoseconds of the monotonic
/// clock, as Triton's steady clock) and, at level TENSORS, its input and output tensors. Each
/// protocol stamps its own receive and send points, the repository the request's core points;
/// ``finish()`` hands it to its ``RequestTracing`` once.
package final class RequestTrace: Sendable {
    package let id: UInt64
    private let model: String
    private let version: String
    private let logFrequency: Int
    /// The caller's trace (OpenTelemetry mode), when it sent one.
    private let parent: TraceParent?
    private let tracing: RequestTracing
    package let keepsTimestamps: Bool
    package let keepsTensors: Bool
    private let entries: Mutex<(stamps: [(name: StaticString, ns: UInt64)], tensors: [UInt8], requestID: String?, done: Bool)>

    init(
        id: UInt64, model: String, version: String, requestID: String?, levels: [TraceSettings.Level], logFrequency: Int,
        parent: TraceParent? = nil, tracing: RequestTracing
    ) {
        self.parent = parent
        self.id = id
        self.model = model
        self.version = version
        entries = Mutex(([], [], requestID, false))
        self.logFrequency = logFrequency
        self.tracing = tracing
        keepsTimestamps = levels.contains(.timestamps)
        keepsTensors = levels.contains(.tensors)
    }

    /// A trace nobody finished (a response body the connection never asked for) is written as it stands.
    deinit { finish() }

    /// The monotonic clock in nanoseconds.
    package static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// What turns ``now()`` into Unix time in nanoseconds, now (OpenTelemetry's spans are in Unix time).
    static func unixOffset() -> Int64 {
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        return (Int64(wall.tv_sec) &* 1_000_000_000 &+ Int64(wall.tv_nsec)) &- Int64(bitPattern: now())
    }

    /// Records `name` at `ns` (now by default).
    package func stamp(_ name: StaticString, at ns: UInt64 = RequestTrace.now()) {
        guard keepsTimestamps else { return }
        entries.withLock { $0.stamps.append((name, ns)) }
    }

    /// `ns` plus `duration`, for points known by how long after another they came.
    package static func after(_ ns: UInt64, _ duration: Duration) -> UInt64 {
        ns &+ duration.wholeNanoseconds
    }

    /// Records `tensors` named `names` (Triton's activities `TENSOR_QUEUE_INPUT`, `TENSOR_BACKEND_OUTPUT`).
    package func record(_ activity: StaticString, names: [String], tensors: [Tensor]) {
        guard keepsTensors else { return }
        var writer = JSONWriter(capacity: 256)
        for (name, tensor) in zip(names, tensors) {
            if !writer.bytes.isEmpty { writer.raw(",") }
            writer.raw(#"{"id":"#)
            writer.integer(id)
            writer.raw(#","activity":""#)
            writer.raw(activity)
            writer.raw(#"","tensor":{"name":"#)
            writer.string(name)
            var values = JSONWriter(capacity: tensor.count * 4)
            values.values(of: tensor)
            writer.raw(#","data":""#)
            // The flat JSON array without its brackets: numbers, true/false and the strings "nan", "inf" escaped.
            for byte in values.bytes.dropFirst().dropLast() {
                if byte == UInt8(ascii: "\"") { writer.raw(#"\""#) } else { writer.byte(byte) }
            }
            writer.raw(#"","shape":""#)
            for (i, dim) in tensor.shape.enumerated() {
                if i > 0 { writer.raw(",") }
                writer.integer(dim)
            }
            writer.raw(#"","dtype":"#)
            writer.string(tensor.dtype.v2Name)
            writer.raw("}}")
        }
        entries.withLock { entries in
            if !entries.tensors.isEmpty && !writer.bytes.isEmpty { entries.tensors.append(UInt8(ascii: ",")) }
            entries.tensors.append(contentsOf: writer.bytes)
        }
    }

    /// The request's own id (the protocol's `id`), once it is read; empty: none.
    package func identify(_ requestID: String?) {
        guard let requestID, !requestID.isEmpty else { return }
        entries.withLock { $0.requestID = requestID }
    }

    /// Writes the trace out (once; later calls do nothing).
    package func finish() {
        guard
            let (stamps, tensors, requestID) = entries.withLock({ entries -> ([(name: StaticString, ns: UInt64)], [UInt8], String?)? in
                guard !entries.done else { return nil }
                entries.done = true
                return (entries.stamps, entries.tensors, entries.requestID)
            })
        else { return }
        if tracing.export(
            model: model, version: version, requestID: requestID, stamps: stamps, parent: parent)
        {
            return
        }
        var writer = JSONWriter(capacity: 128 + stamps.count * 48 + tensors.count)
        writer.raw(#"{"id":"#)
        writer.integer(id)
        writer.raw(#","model_name":"#)
        writer.string(model)
        writer.raw(#","model_version":"#)
        if let number = Int(version) { writer.integer(number) } else { writer.string(version) }
        if let requestID {
            writer.raw(#","request_id":"#)
            writer.string(requestID)
        }
        writer.raw("}")
        if !stamps.isEmpty {
            writer.raw(#",{"id":"#)
            writer.integer(id)
            writer.raw(#","timestamps":["#)
            for (i, stamp) in stamps.enumerated() {
                if i > 0 { writer.raw(",") }
                writer.raw(#"{"name":""#)
                writer.raw(stamp.name)
                writer.raw(#"","ns":"#)
                writer.integer(stamp.ns)
                writer.raw("}")
            }
            writer.raw("]}")
        }
        var bytes = writer.bytes
        if !tensors.isEmpty {
            bytes.append(UInt8(ascii: ","))
            bytes.append(contentsOf: tensors)
        }
        tracing.collect(bytes, logFrequency: logFrequency)
    }
}
