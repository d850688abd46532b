internal import Crypto
public import LedgeCore
internal import LedgeRelease

/// AWS credentials for signing S3 requests.
public struct AWSCredentials: Sendable, Hashable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// `AWS_SESSION_TOKEN` of temporary credentials (STS, an instance role), sent as `x-amz-security-token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4 in the `Authorization` header, as S3 takes it: a canonical request
/// of the method, the path (already percent-encoded: S3 encodes it once), the query, the
/// signed headers and the payload's hash; the string to sign with the scope
/// `DATE/REGION/SERVICE/aws4_request`; the HMAC-SHA256 key chain from the secret.
package enum SigV4 {
    /// The headers that sign a `GET` of `url` at `seconds` (since 1970): `x-amz-date`,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`, `x-amz-security-token` with a session token,
    /// and `Authorization`. Headers added later (such as a resume's `Range`) are not signed.
    package static func getHeaders(
        _ url: RequestURL, region: String, credentials: AWSCredentials, seconds: Int64
    ) -> [(String, String)] {
        var signed = [("host", url.hostHeader), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", timestamp(seconds))]
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        let path = url.target.prefix { $0 != "?" }
        let query = url.target.contains("?") ? String(url.target.drop { $0 != "?" }.dropFirst()) : ""
        let authorization = self.authorization(
            method: "GET", path: String(path), query: query, headers: signed, payloadHash: "UNSIGNED-PAYLOAD",
            seconds: seconds, region: region, service: "s3", credentials: credentials)
        return signed.dropFirst().map { $0 } + [("Authorization", authorization)]
    }

    /// The `Authorization` value for a request; `headers` are the signed ones (lower-case
    /// names, values as sent), `query` already in canonical form (sorted, encoded).
    package static func authorization(
        method: String, path: String, query: String, headers: [(String, String)], payloadHash: String, seconds: Int64,
        region: String, service: String, credentials: AWSCredentials
    ) -> String {
        let sorted = headers.map { ($0.0.lowercased(), trimmed($0.1)) }.sorted { $0.0 < $1.0 }
        let names = sorted.map(\.0).joined(separator: ";")
        let canonical = [
            method, path.isEmpty ? "/" : path, query, sorted.map { "\($0.0):\($0.1)\n" }.joined(), names, payloadHash,
        ].joined(separator: "\n")
        let time = timestamp(seconds)
        let day = String(time.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", time, scope, ContentDigest.hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = ContentDigest.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(names), Signature=\(signature)"
    }

    /// `YYYYMMDDTHHMMSSZ` (UTC) of `seconds` since 1970: RFC 3339's form without its separators.
    package static func timestamp(_ seconds: Int64) -> String {
        String(RFC3339.format(seconds).filter { $0 != "-" && $0 != ":" })
    }

    /// A header value as SigV4 signs it: outer spaces trimmed, inner runs of spaces as one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
