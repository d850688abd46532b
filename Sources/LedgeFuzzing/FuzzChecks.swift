internal import HTTPTypes
internal import LedgeCore
internal import LedgeServer

/// What every target checks of the errors it sees: Ledge's own, of an expected code,
/// with a message fit for one line of a log or a JSON `error`.
extension FuzzTarget {
    /// A failure naming `what`, with up to 300 bytes of `input` shown escaped.
    func failure(_ what: String, _ input: UnsafeBufferPointer<UInt8>) -> FuzzFailure {
        let shown = String(decoding: input.prefix(300), as: UTF8.self).debugDescription
        return FuzzFailure(self, "\(what) (input of \(input.count) bytes: \(shown))")
    }

    /// Throws unless `error` is a ``LedgeError`` with one of `codes` and a one-line message.
    func expectLedgeError(
        _ error: any Error, from call: String, codes: Set<LedgeError.Code> = [.invalidInput], _ input: UnsafeBufferPointer<UInt8>
    ) throws {
        guard let error = error as? LedgeError else {
            throw failure("\(call) threw a non-LedgeError \(type(of: error)): \(error)", input)
        }
        guard codes.contains(error.code) else { throw failure("\(call) threw code \(error.code): \(error.message)", input) }
        try expectOneLine(error.message, from: call, input)
    }

    /// Throws unless `error` is a route's refusal: a one-line ``ServerError`` of `status`, or a
    /// one-line `invalidInput` ``LedgeError`` (which the routes answer with 400).
    func expectRefusal(
        _ error: any Error, from call: String, status: HTTPResponse.Status = .badRequest, _ input: UnsafeBufferPointer<UInt8>
    ) throws {
        guard let error = error as? ServerError else { return try expectLedgeError(error, from: call, input) }
        if error.status != status { throw failure("\(call) threw status \(error.status.code): \(error.message)", input) }
        try expectOneLine(error.message, from: call, input)
    }

    /// Throws unless `message` is a non-empty line.
    func expectOneLine(_ message: String, from call: String, _ input: UnsafeBufferPointer<UInt8>) throws {
        if message.isEmpty || message.contains(where: \.isNewline) {
            throw failure("\(call) threw a message that is not one line: \(message.debugDescription)", input)
        }
    }
}

/// Reads an input front to back; missing bytes read as 0.
struct FuzzReader {
    let data: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ data: UnsafeBufferPointer<UInt8>) { self.data = data }

    mutating func byte() -> UInt8 {
        defer { index += 1 }
        return index < data.count ? data[index] : 0
    }

    mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(byte()) << UInt64(shift) }
        return Int64(bitPattern: value)
    }

    /// The bytes not read yet.
    var rest: UnsafeBufferPointer<UInt8> {
        index >= data.count ? UnsafeBufferPointer(rebasing: data[data.count...]) : UnsafeBufferPointer(rebasing: data[index...])
    }
}
