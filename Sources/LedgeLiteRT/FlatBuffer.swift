/// Why a flatbuffer could not be read: a short phrase naming the structure at fault.
struct FlatBufferError: Error, Sendable {
    var what: String
    init(_ what: String) { self.what = what }
}

/// A well-formed TFLite file whose values a runtime would choke on (an
/// out-of-range zero point, a zero scale): the model is refused before any
/// runtime sees it, naming the tensor and the field.
struct TFLiteValidationError: Error, Sendable {
    var what: String
    init(_ what: String) { self.what = what }
}

/// A bounds-checked view of a flatbuffer: every read checks that it stays
/// inside the bytes, so garbage input throws instead of crashing.
struct FlatBuffer: Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    /// Checks that `[offset, offset + length)` lies inside the buffer.
    func check(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw FlatBufferError(what())
        }
    }

    func u8(_ at: Int, _ what: @autoclosure () -> String) throws -> UInt8 {
        try check(at, 1, what())
        return bytes[at]
    }

    func u16(_ at: Int, _ what: @autoclosure () -> String) throws -> UInt16 {
        try check(at, 2, what())
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        try check(at, 4, what())
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
        return v
    }

    func u64(_ at: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try check(at, 8, what())
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }

    /// The root table: the `uoffset` at byte 0.
    func root(_ what: String) throws -> FlatTable {
        let offset = try u32(0, "\(what) root offset")
        return try table(at: Int(offset), what)
    }

    /// The table at absolute position `pos`, with its vtable checked.
    func table(at pos: Int, _ what: @autoclosure () -> String) throws -> FlatTable {
        let soffset = Int32(bitPattern: try u32(pos, "\(what()) table offset"))
        let vtable = pos - Int(soffset)
        let vtableSize = Int(try u16(vtable, "\(what()) vtable"))
        let tableSize = Int(try u16(vtable + 2, "\(what()) vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0, tableSize >= 4 else { throw FlatBufferError("\(what()) vtable") }
        try check(vtable, vtableSize, "\(what()) vtable")
        try check(pos, tableSize, "\(what()) table size")
        return FlatTable(buffer: self, position: pos, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
    }
}

/// A table inside a ``FlatBuffer``; fields are addressed by their index in the schema
/// (union fields take two: the type, then the value).
struct FlatTable: Sendable {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let vtableSize: Int
    let tableSize: Int

    /// The absolute position of field `index`, or nil when absent.
    func field(_ index: Int, size: Int, _ what: @autoclosure () -> String) throws -> Int? {
        let entry = 4 + 2 * index
        guard entry + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.u16(vtable + entry, what()))
        guard offset != 0 else { return nil }
        guard offset + size <= tableSize else { throw FlatBufferError(what()) }
        return position + offset
    }

    func u8(_ index: Int, _ what: @autoclosure () -> String, default value: UInt8 = 0) throws -> UInt8 {
        guard let at = try field(index, size: 1, what()) else { return value }
        return try buffer.u8(at, what())
    }

    func u32(_ index: Int, _ what: @autoclosure () -> String, default value: UInt32 = 0) throws -> UInt32 {
        guard let at = try field(index, size: 4, what()) else { return value }
        return try buffer.u32(at, what())
    }

    func i32(_ index: Int, _ what: @autoclosure () -> String, default value: Int32 = 0) throws -> Int32 {
        Int32(bitPattern: try u32(index, what(), default: UInt32(bitPattern: value)))
    }

    func u64(_ index: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        guard let at = try field(index, size: 8, what()) else { return 0 }
        return try buffer.u64(at, what())
    }

    /// Follows the `uoffset` stored in field `index`.
    private func target(_ index: Int, _ what: @autoclosure () -> String) throws -> Int? {
        guard let at = try field(index, size: 4, what()) else { return nil }
        let offset = Int(try buffer.u32(at, what()))
        guard offset > 0 else { throw FlatBufferError(what()) }
        return at + offset
    }

    func table(_ index: Int, _ what: @autoclosure () -> String) throws -> FlatTable? {
        guard let pos = try target(index, what()) else { return nil }
        return try buffer.table(at: pos, what())
    }

    /// A vector's first element position and count, with `elementSize × count` checked.
    func vector(_ index: Int, elementSize: Int, _ what: @autoclosure () -> String) throws -> (start: Int, count: Int)? {
        guard let pos = try target(index, what()) else { return nil }
        let count = Int(try buffer.u32(pos, what()))
        guard count <= (buffer.count - pos) / max(elementSize, 1) else { throw FlatBufferError(what()) }
        try buffer.check(pos + 4, count * elementSize, what())
        return (pos + 4, count)
    }

    func string(_ index: Int, _ what: @autoclosure () -> String) throws -> String? {
        guard let (start, count) = try vector(index, elementSize: 1, what()) else { return nil }
        return String(decoding: buffer.bytes[start..<start + count], as: UTF8.self)
    }

    func tables(_ index: Int, _ what: @autoclosure () -> String) throws -> [FlatTable] {
        guard let (start, count) = try vector(index, elementSize: 4, what()) else { return [] }
        var result: [FlatTable] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let at = start + 4 * i
            let offset = Int(try buffer.u32(at, what()))
            guard offset > 0 else { throw FlatBufferError(what()) }
            result.append(try buffer.table(at: at + offset, what()))
        }
        return result
    }

    func int32s(_ index: Int, _ what: @autoclosure () -> String) throws -> [Int32]? {
        guard let (start, count) = try vector(index, elementSize: 4, what()) else { return nil }
        return try (0..<count).map { Int32(bitPattern: try buffer.u32(start + 4 * $0, what())) }
    }

    func floats(_ index: Int, _ what: @autoclosure () -> String) throws -> [Float]? {
        guard let (start, count) = try vector(index, elementSize: 4, what()) else { return nil }
        return try (0..<count).map { Float(bitPattern: try buffer.u32(start + 4 * $0, what())) }
    }

    func int64s(_ index: Int, _ what: @autoclosure () -> String) throws -> [Int64]? {
        guard let (start, count) = try vector(index, elementSize: 8, what()) else { return nil }
        return try (0..<count).map { Int64(bitPattern: try buffer.u64(start + 8 * $0, what())) }
    }

    func strings(_ index: Int, _ what: @autoclosure () -> String) throws -> [String] {
        guard let (start, count) = try vector(index, elementSize: 4, what()) else { return [] }
        return try (0..<count).map { i in
            let at = start + 4 * i
            let pos = at + Int(try buffer.u32(at, what()))
            let length = Int(try buffer.u32(pos, what()))
            try buffer.check(pos + 4, length, what())
            return String(decoding: buffer.bytes[pos + 4..<pos + 4 + length], as: UTF8.self)
        }
    }
}
