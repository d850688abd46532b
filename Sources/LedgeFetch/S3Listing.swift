#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import NIOHTTP1

/// One object of a bucket listing (S3 or Cloud Storage).
public struct StoredObject: Sendable, Hashable {
    public var key: String
    /// The ETag as the store gives it (quotes removed): changes when the object does.
    public var etag: String
    public var size: Int64
}

extension S3Settings {
    /// Every object of `bucket` under `prefix` (ListObjectsV2, following continuation tokens),
    /// at most `limit` of them; errors are one line naming `label`.
    public func list(bucket: String, prefix: String, limit: Int = 10_000, label: String) async throws -> [StoredObject] {
        let client = HTTPClient(timeLimit: 60)
        var objects: [StoredObject] = []
        var continuation: String?
        repeat {
            // The query in SigV4's canonical form (sorted, encoded), sent as signed.
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let continuation { query.append(("continuation-token", continuation)) }
            let text = query.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1.percentEncoded(keepingSlash: false))" }.joined(separator: "&")
            // The bucket itself: `/BUCKET?…` path-style (as the SDKs send it), `/?…` on its own host.
            var url = self.url(bucket: bucket, key: "")
            url.target = (url.target == "/" ? "/" : String(url.target.dropLast())) + "?" + text
            let response = try await client.send(.GET, url, headers: signing(url))
            guard response.status == 200 else {
                throw LedgeError(
                    response.status == 404 ? .notFound : .remoteFailure,
                    "\(label): listing failed with HTTP \(response.status)\(HTTPClient.storeErrorDetail(response.body))")
            }
            let body = String(decoding: response.body, as: UTF8.self)
            for entry in XMLText.elements("Contents", in: body) {
                guard let key = XMLText.element("Key", in: entry).map(XMLText.unescaped) else { continue }
                let etag = XMLText.element("ETag", in: entry).map(XMLText.unescaped) ?? ""
                objects.append(
                    StoredObject(
                        key: key, etag: etag.filter { $0 != "\"" },
                        size: XMLText.element("Size", in: entry).flatMap { Int64($0) } ?? 0))
                guard objects.count <= limit else { throw LedgeError(.tooLarge, "\(label): more than \(limit) objects") }
            }
            continuation =
                XMLText.element("IsTruncated", in: body) == "true" ? XMLText.element("NextContinuationToken", in: body).map(XMLText.unescaped) : nil
        } while continuation != nil
        return objects
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

extension XMLText {
    /// The contents of every `<name>…</name>` element, in order.
    static func elements(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.firstRange(of: "<\(name)>"), let close = rest[open.upperBound...].firstRange(of: "</\(name)>") {
            found.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return found
    }

    /// XML's five predefined entities and numeric references decoded.
    static func unescaped(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number =
                    entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let number, let scalar = Unicode.Scalar(number) { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }
}
