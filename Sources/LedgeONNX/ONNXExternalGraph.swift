#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

extension ONNXInitializerScan {
    /// `model` with the raw bytes of `initializers` (found by ``initializers(in:minimumBytes:)``
    /// in the same bytes) left out: each becomes a reference to external data in `location`, the
    /// file `model` was read from at offset 0 (`data_location` EXTERNAL with `location`, `offset`
    /// and `length`). Every other field is copied as it is. `nil` when `model` does not read back.
    ///
    /// ONNX Runtime parses the weights of a graph it is handed into memory of its own; a session
    /// given the weights with `AddInitializer` never reads them, so handing it this graph instead
    /// spares each session that copy (the runtime only checks that `location` exists).
    static func externalized(_ model: Data, _ initializers: [Initializer], location: String) -> Data? {
        let shared = Dictionary(initializers.map { ($0.message.lowerBound, $0) }, uniquingKeysWith: { first, _ in first })
        return model.withUnsafeBytes { bytes -> Data? in
            var out = ProtoWriter()
            var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
            while !reader.atEnd {
                let start = reader.offset
                guard let field = reader.next() else { return nil }
                guard field.number == 7, case .bytes(let graph) = field.value else {
                    out.append(bytes[start..<reader.offset])
                    continue
                }
                var graphOut = ProtoWriter()
                var graphReader = WireReader(bytes: bytes, range: graph)
                while !graphReader.atEnd {
                    let fieldStart = graphReader.offset
                    guard let graphField = graphReader.next() else { return nil }
                    if graphField.number == 5, case .bytes(let tensor) = graphField.value, let initializer = shared[tensor.lowerBound] {
                        guard let message = external(bytes, initializer, location: location) else { return nil }
                        graphOut.field(5, message)
                    } else {
                        graphOut.append(bytes[fieldStart..<graphReader.offset])
                    }
                }
                out.field(7, graphOut.bytes)
            }
            return Data(out.bytes)
        }
    }

    /// The `TensorProto` of `initializer` without its raw data, pointing at `location` for it.
    private static func external(_ bytes: UnsafeRawBufferPointer, _ initializer: Initializer, location: String) -> [UInt8]? {
        var out = ProtoWriter()
        var reader = WireReader(bytes: bytes, range: initializer.message)
        while !reader.atEnd {
            let start = reader.offset
            guard let field = reader.next() else { return nil }
            if [9, 13, 14].contains(field.number) { continue }  // raw_data, external_data, data_location
            out.append(bytes[start..<reader.offset])
        }
        out.varintField(14, 1)  // data_location: EXTERNAL
        for (key, value) in [
            ("location", location), ("offset", String(initializer.bytes.lowerBound)), ("length", String(initializer.bytes.count)),
        ] {
            var entry = ProtoWriter()  // StringStringEntryProto: key = 1, value = 2
            entry.field(1, Array(key.utf8))
            entry.field(2, Array(value.utf8))
            out.field(13, entry.bytes)
        }
        return out.bytes
    }
}

/// Writes protobuf fields.
private struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func append(_ raw: Slice<UnsafeRawBufferPointer>) { bytes.append(contentsOf: raw) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A length-delimited field.
    mutating func field(_ number: UInt64, _ payload: [UInt8]) {
        varint(number << 3 | 2)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func varintField(_ number: UInt64, _ value: UInt64) {
        varint(number << 3)
        varint(value)
    }
}
