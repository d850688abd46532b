#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import LedgeFetch
internal import NIOHTTP1

/// User name and password for a registry.
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// The OCI distribution API, as much as a push needs: the `/v2/` check, the
/// basic and bearer-token challenges, blob HEAD and monolithic upload, and
/// manifest PUT. Errors are one line: the registry, what failed, its own message.
actor RegistryClient {
    let base: RequestURL
    let repository: String
    let credentials: RegistryCredentials?
    private let http = HTTPClient()
    private var authorization: String?

    init(registry: String, repository: String, insecure: Bool, credentials: RegistryCredentials?) throws {
        guard let (host, port) = RequestURL.split(authority: Substring(registry), defaultPort: insecure ? 80 : 443) else {
            throw LedgeError.usage("registry '\(registry)': expected HOST[:PORT]")
        }
        base = RequestURL(secure: !insecure, host: host, port: port, target: "/v2/")
        self.repository = repository
        self.credentials = credentials
    }

    /// Asks `/v2/` and answers its challenge, so later requests carry the right `Authorization`.
    func authenticate() async throws {
        let response = try await http.send(.GET, base)
        switch response.status {
        case 200: return
        case 401:
            let challenge = response.header("WWW-Authenticate") ?? ""
            if challenge.lowercased().hasPrefix("bearer") {
                authorization = "Bearer " + (try await token(challenge))
            } else {
                guard let credentials else { throw refused("needs credentials (401); pass --registry-user and --registry-password-stdin") }
                authorization = "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            }
            let check = try await send(.GET, base)
            if check.status == 401 || check.status == 403 {
                throw refused("refused the credentials for user '\(credentials?.username ?? "")' (\(check.status))")
            }
            guard check.status == 200 else { throw failure("GET /v2/", check) }
        default:
            throw failure("GET /v2/", response)
        }
    }

    /// True when the registry has the blob `digest` in this repository.
    func hasBlob(_ digest: String) async throws -> Bool {
        let response = try await send(.HEAD, path("blobs/\(digest)"))
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw failure("HEAD blob \(digest)", response)
        }
    }

    /// Uploads `bytes` as the blob `digest` (POST, then one PUT).
    func upload(_ digest: String, bytes: [UInt8]) async throws {
        let start = try await send(.POST, path("blobs/uploads/"), body: [])
        guard start.status == 202, let location = start.header("Location"), let url = base.resolving(location) else {
            throw failure("start upload of \(digest)", start)
        }
        var target = url
        target.target += (target.target.contains("?") ? "&" : "?") + "digest=" + digest.replacingColon()
        let put = try await send(.PUT, target, headers: [("Content-Type", "application/octet-stream")], body: bytes)
        guard put.status == 201 else { throw failure("upload of \(digest) (\(bytes.count) bytes)", put) }
    }

    /// PUTs a manifest or index under `reference` (a digest or a tag).
    func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) async throws {
        let response = try await send(.PUT, path("manifests/\(reference)"), headers: [("Content-Type", mediaType)], body: bytes)
        guard response.status == 201 else { throw failure("PUT manifest \(reference)", response) }
    }

    private func path(_ rest: String) -> RequestURL {
        var url = base
        url.target = "/v2/\(repository)/\(rest)"
        return url
    }

    private func send(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws
        -> HTTPResponse
    {
        var all = headers
        if let authorization { all.append(("Authorization", authorization)) }
        return try await http.send(method, url, headers: all, body: body)
    }

    /// The bearer-token flow: GET the realm with service and scope (basic auth when we have credentials).
    private func token(_ challenge: String) async throws -> String {
        let fields = Self.challengeFields(challenge)
        guard let realm = fields["realm"], var url = RequestURL(realm) else {
            throw refused("sent a bearer challenge without a usable realm: \(challenge)")
        }
        var query: [String] = []
        if let service = fields["service"] { query.append("service=" + Self.formEncoded(service)) }
        query.append("scope=" + Self.formEncoded("repository:\(repository):pull,push"))
        url.target += (url.target.contains("?") ? "&" : "?") + query.joined(separator: "&")
        var headers: [(String, String)] = []
        if let credentials {
            headers.append(("Authorization", "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()))
        }
        let response = try await http.send(.GET, url, headers: headers)
        guard response.status == 200 else {
            if response.status == 401 || response.status == 403 {
                throw refused(
                    "token service \(url.hostHeader) refused the credentials for user '\(credentials?.username ?? "")' (\(response.status))")
            }
            throw failure("GET token from \(url.hostHeader)", response)
        }
        struct Token: Decodable {
            var token: String?
            var access_token: String?
        }
        guard let body = try? JSONDecoder().decode(Token.self, from: Data(response.body)), let token = body.token ?? body.access_token
        else { throw refused("token service \(url.hostHeader) answered without a token") }
        return token
    }

    /// `Bearer realm="…",service="…",scope="…"` → fields.
    static func challengeFields(_ challenge: String) -> [String: String] {
        var fields: [String: String] = [:]
        let body = challenge.drop { $0 != " " }
        for match in body.matches(of: #/([A-Za-z]+)="([^"]*)"/#) {
            fields[String(match.output.1).lowercased()] = String(match.output.2)
        }
        return fields
    }

    static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    private func refused(_ what: String) -> LedgeError {
        LedgeError(.remoteFailure, "registry \(base.hostHeader) \(what)")
    }

    private func failure(_ what: String, _ response: HTTPResponse) -> LedgeError {
        struct Errors: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Item]
        }
        var detail = ""
        if let errors = try? JSONDecoder().decode(Errors.self, from: Data(response.body)), let first = errors.errors.first {
            detail = ": " + [first.code, first.message].compactMap { $0 }.joined(separator: " ")
        }
        if response.status == 401 || response.status == 403 {
            return refused("refused \(what) for \(repository) (\(response.status))\(detail)")
        }
        return LedgeError(.remoteFailure, "registry \(base.hostHeader): \(what) for \(repository) failed with \(response.status)\(detail)")
    }
}

extension String {
    fileprivate func replacingColon() -> String { split(separator: ":").joined(separator: "%3A") }
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
