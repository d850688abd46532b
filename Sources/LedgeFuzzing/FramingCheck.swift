internal import LedgeCore
internal import LedgeServing

/// Reads what FuzzFraming's server wrote back as HTTP/1.1 responses and checks them.
enum FramingCheck {
    struct Response {
        var status: Int
        var fields: [String: String]
        var body: ArraySlice<UInt8>
        var end: Int
    }

    static func failure(_ what: String, _ input: UnsafeBufferPointer<UInt8>, _ output: [UInt8]) -> FuzzFailure {
        let got = String(decoding: output.prefix(600), as: UTF8.self).debugDescription
        return FuzzTarget.framing.failure("\(what); the server wrote \(got)", input)
    }

    /// The responses in `output` in order: each starts with "HTTP/1.1 "; a guard's error is
    /// JSON with a one-line "error"; nothing follows a `Connection: close` response.
    static func check(_ output: [UInt8], _ input: UnsafeBufferPointer<UInt8>) throws {
        let prefix = Array("HTTP/1.1 ".utf8)
        var index = 0
        while index < output.count {
            guard output[index...].starts(with: prefix) else {
                throw failure("a response does not start with 'HTTP/1.1 ' at byte \(index)", input, output)
            }
            guard let response = parse(output, from: index) else { return }  // chunked (the app's) or cut short
            if response.status >= 400, response.fields["x-fuzz-app"] == nil {
                if response.fields["content-type"] != "application/json" {
                    throw failure("the guard's \(response.status) has content-type \(response.fields["content-type"] ?? "none")", input, output)
                }
                let json = Array(response.body).withUnsafeBytes { JSONParser.parse($0) }
                guard case .object(let members)? = json, case .string(let message)? = members["error"], !message.isEmpty,
                    !message.contains(where: \.isNewline)
                else {
                    throw failure("the guard's \(response.status) has no one-line JSON 'error'", input, output)
                }
            }
            if response.fields["connection"]?.lowercased().contains("close") == true, response.end < output.count {
                throw failure("\(output.count - response.end) bytes written after a 'Connection: close' response", input, output)
            }
            index = response.end
        }
    }

    /// One response at `start`: status, lowercased field names, body, end; nil when it is not
    /// complete (a chunked body, or cut short).
    static func parse(_ bytes: [UInt8], from start: Int) -> Response? {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard bytes.count - start >= 4 else { return nil }
        guard let headEnd = (start...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(crlfcrlf) }) else { return nil }
        let lines = bytes[start..<headEnd].split(separator: 10, omittingEmptySubsequences: false).map {
            String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self)
        }
        let statusLine = lines[0].split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingWhitespace()
        }
        guard let length = fields["content-length"].flatMap({ Int($0) }) else { return nil }
        let bodyStart = headEnd + 4
        guard bytes.count - bodyStart >= length else { return nil }
        return Response(status: status, fields: fields, body: bytes[bodyStart..<(bodyStart + length)], end: bodyStart + length)
    }
}
