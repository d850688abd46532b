#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// One part of a `multipart/form-data` body (RFC 7578 over RFC 2046).
struct MultipartPart: Sendable, Equatable {
    /// Header fields by lowercased name (the last one wins).
    var headers: [String: String]
    /// The `name` of its `Content-Disposition`, the form field.
    var fieldName: String?
    /// The `filename` of its `Content-Disposition`, present for file inputs.
    var fileName: String?
    /// Its `Content-Type` media type, lowercased, without parameters.
    var contentType: String?
    /// The content between the headers and the next boundary.
    var body: Data
}

/// A small `multipart/form-data` parser: boundary from the content type,
/// CRLF line ends, an optional preamble and epilogue, quoted parameters.
enum Multipart {
    /// The boundary of a `multipart/form-data; boundary=…` content type, else 400.
    static func boundary(contentType: String) throws -> String {
        let (_, parameters) = HeaderValue.parse(contentType)
        guard let boundary = parameters["boundary"] else {
            throw LedgeError.invalidInput(
                "content type multipart/form-data has no boundary parameter: expected 'multipart/form-data; boundary=…'")
        }
        guard (1...70).contains(boundary.utf8.count), !boundary.contains(where: { $0.isNewline }) else {
            throw LedgeError.invalidInput(
                "multipart boundary '\(HeaderValue.printable(boundary))' is not valid: expected 1 to 70 characters on one line")
        }
        return boundary
    }

    /// The parts of `body`, else 400 naming what is malformed.
    static func parse(_ body: Data, boundary: String) throws -> [MultipartPart] {
        let bytes = [UInt8](body)
        let dash = Array("--\(boundary)".utf8)
        let delimiter: [UInt8] = [13, 10] + dash
        let shown = "--" + HeaderValue.printable(boundary)
        let noClosing = LedgeError.invalidInput("multipart body has no closing boundary '\(shown)--'")
        var position: Int
        if bytes.starts(with: dash) {
            position = dash.count
        } else if let found = bytes.find(delimiter, from: 0) {
            position = found + delimiter.count  // after a preamble
        } else {
            throw LedgeError.invalidInput("multipart body has no boundary '\(shown)': expected the first part to start with it")
        }
        var parts: [MultipartPart] = []
        while true {
            if bytes.has([45, 45], at: position) { return parts }  // the closing "--"; the epilogue is ignored
            while position < bytes.count, bytes[position] == 32 || bytes[position] == 9 { position += 1 }  // padding
            guard position + 2 <= bytes.count else { throw noClosing }
            guard bytes.has([13, 10], at: position) else {
                throw LedgeError.invalidInput("multipart part \(parts.count + 1): expected CRLF after the boundary '\(shown)'")
            }
            position += 2
            let headerText: String, contentStart: Int
            if bytes.has([13, 10], at: position) {
                (headerText, contentStart) = ("", position + 2)  // no headers
            } else {
                let next = bytes.find(delimiter, from: position)
                guard let end = bytes.find([13, 10, 13, 10], from: position), next.map({ end < $0 }) ?? true else {
                    if next == nil { throw noClosing }
                    throw LedgeError.invalidInput(
                        "multipart part \(parts.count + 1) has no blank line after its headers: expected CRLF CRLF before the content")
                }
                (headerText, contentStart) = (String(decoding: bytes[position..<end], as: UTF8.self), end + 4)
            }
            guard let contentEnd = bytes.find(delimiter, from: contentStart) else { throw noClosing }
            parts.append(try part(headerText, body: Data(bytes[contentStart..<contentEnd]), number: parts.count + 1))
            position = contentEnd + delimiter.count
        }
    }

    private static func part(_ headerText: String, body: Data, number: Int) throws -> MultipartPart {
        var headers: [String: String] = [:]
        var lastName: String?
        for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
            if let first = line.first, first == " " || first == "\t", let name = lastName {  // folded continuation
                headers[name, default: ""] += " " + line.trimmingWhitespace()
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw LedgeError.invalidInput(
                    "multipart part \(number) has a malformed header line '\(HeaderValue.printable(line))': expected 'Name: value'")
            }
            let name = line[..<colon].trimmingWhitespace().lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingWhitespace()
            lastName = name
        }
        let disposition = headers["content-disposition"].map(HeaderValue.parse)?.parameters ?? [:]
        let type = headers["content-type"].map { HeaderValue.parse($0).value.lowercased() }
        return MultipartPart(
            headers: headers, fieldName: disposition["name"], fileName: disposition["filename"],
            contentType: type, body: body)
    }
}

/// Header values with `;`-separated parameters, optionally quoted.
enum HeaderValue {
    /// The value before the first `;`, and the parameters by lowercased name.
    static func parse(_ text: String) -> (value: String, parameters: [String: String]) {
        var fields: [String] = [], current = "", quoted = false, escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                current.append(character)
                quoted.toggle()
            } else if character == ";" && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        var parameters: [String: String] = [:]
        for field in fields.dropFirst() {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let name = field[..<equals].trimmingWhitespace().lowercased()
            var value = field[field.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = unquote(String(value.dropFirst().dropLast()))
            }
            parameters[name] = value
        }
        return (fields[0].trimmingWhitespace(), parameters)
    }

    private static func unquote(_ text: String) -> String {
        var result = "", escaped = false
        for character in text {
            if !escaped && character == "\\" { escaped = true; continue }
            result.append(character)
            escaped = false
        }
        return result
    }

    /// `text` fit for a one-line error: control characters as `?`, at most 100 characters.
    static func printable(_ text: String) -> String {
        let clean = String(text.map { $0.isNewline || $0.asciiValue.map { $0 < 32 || $0 == 127 } == true ? "?" : $0 })
        return clean.count > 100 ? String(clean.prefix(100)) + "…" : clean
    }
}

extension [UInt8] {
    /// Whether `needle` occurs at `index`.
    fileprivate func has(_ needle: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + needle.count <= count else { return false }
        for offset in 0..<needle.count where self[index + offset] != needle[offset] { return false }
        return true
    }

    /// The first index at or after `start` where `needle` occurs.
    fileprivate func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= count else { return nil }
        var index = Swift.max(start, 0)
        let last = count - needle.count
        while index <= last {
            if self[index] == first && has(needle, at: index) { return index }
            index += 1
        }
        return nil
    }
}
