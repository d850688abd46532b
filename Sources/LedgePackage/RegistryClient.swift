#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import LedgeFetch
internal import Logging
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
///
/// Each of these is tried again, up to ``retries`` times, after an answer that says "later"
/// (408, 429, 500, 502, 503, 504: Docker Hub's rate limit, a registry behind a restarting
/// proxy) or a request that got no answer (refused, cut, timed out): after the registry's
/// `Retry-After` (at most 30 s), else 1, 2, 4 s (``RetrySchedule``), with a warning each.
/// A blob upload starts again from its POST. Certificate refusals and other answers fail at once.
actor RegistryClient {
    let base: RequestURL
    let repository: String
    let credentials: RegistryCredentials?
    /// Retries of one request (or one blob upload) before its failure is the push's.
    let retries: Int
    private let logger: Logger?
    private let http = HTTPClient()
    private var authorization: String?

    init(
        registry: String, repository: String, insecure: Bool, credentials: RegistryCredentials?, retries: Int = 3,
        logger: Logger? = nil
    ) throws {
        guard let (host, port) = RequestURL.split(authority: Substring(registry), defaultPort: insecure ? 80 : 443) else {
            throw LedgeError.usage("registry '\(registry)': expected HOST[:PORT]")
        }
        base = RequestURL(secure: !insecure, host: host, port: port, target: "/v2/")
        self.repository = repository
        self.credentials = credentials
        self.retries = retries
        self.logger = logger
    }

    /// Asks `/v2/` and answers its challenge, so later requests carry the right `Authorization`.
    func authenticate() async throws {
        let response = try await retrying {
            let response = try await exchange(.GET, base, authorized: false)
            guard !Self.retryableStatuses.contains(response.status) else { throw unexpected("GET /v2/", response) }
            return response
        }
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
            try await retrying {
                let check = try await exchange(.GET, base)
                if check.status == 401 || check.status == 403 {
                    throw refused("refused the credentials for user '\(credentials?.username ?? "")' (\(check.status))")
                }
                guard check.status == 200 else { throw unexpected("GET /v2/", check) }
            }
        default:
            throw failure("GET /v2/", response)
        }
    }

    /// True when the registry has the blob `digest` in this repository.
    func hasBlob(_ digest: String) async throws -> Bool {
        try await retrying {
            let response = try await exchange(.HEAD, path("blobs/\(digest)"))
            switch response.status {
            case 200: return true
            case 404: return false
            default: throw unexpected("HEAD blob \(digest)", response)
            }
        }
    }

    /// Uploads `bytes` as the blob `digest` (POST, then one PUT; both again when either fails for now).
    func upload(_ digest: String, bytes: [UInt8]) async throws {
        try await retrying {
            let start = try await exchange(.POST, path("blobs/uploads/"), body: [])
            guard start.status == 202, let location = start.header("Location"), let url = base.resolving(location) else {
                throw unexpected("start upload of \(digest)", start)
            }
            var target = url
            target.target += (target.target.contains("?") ? "&" : "?") + "digest=" + digest.percentEncoded()
            let put = try await exchange(.PUT, target, headers: [("Content-Type", "application/octet-stream")], body: bytes)
            guard put.status == 201 else { throw unexpected("upload of \(digest) (\(bytes.count) bytes)", put) }
        }
    }

    /// PUTs a manifest or index under `reference` (a digest or a tag).
    func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) async throws {
        try await retrying {
            let response = try await exchange(.PUT, path("manifests/\(reference)"), headers: [("Content-Type", mediaType)], body: bytes)
            guard response.status == 201 else { throw unexpected("PUT manifest \(reference)", response) }
        }
    }

    private func path(_ rest: String) -> RequestURL {
        var url = base
        url.target = "/v2/\(repository)/\(rest)"
        return url
    }

    /// Answers worth another try.
    static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// A failure another try may not meet: `error` is the one reported when no try is left.
    private struct Later: Error {
        var error: LedgeError
        var retryAfter: String?
    }

    /// Runs `operation`, and again after each ``Later`` it throws, up to ``retries`` times.
    private func retrying<T>(_ operation: () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await operation()
            } catch let later as Later {
                guard let delay = RetrySchedule.delay(retryAfter: later.retryAfter, retry: retry, retries: retries) else {
                    throw later.error
                }
                retry += 1
                logger?.warning("\(later.error.message); trying again in \(delay) s")
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// One request (with the `Authorization` won so far, unless `authorized` is false); a
    /// request without an answer is a ``Later`` unless no retry would change it.
    private func exchange(
        _ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)] = [], body: [UInt8]? = nil, authorized: Bool = true
    ) async throws -> HTTPResponse {
        var all = headers
        if authorized, let authorization { all.append(("Authorization", authorization)) }
        do {
            return try await http.attempt(method, url, headers: all, body: body)
        } catch {
            if error.lasting { throw error.error(method, url) }
            throw Later(error: error.error(method, url))
        }
    }

    /// The error for an answer that is not the one expected: a ``Later`` for a status worth another try.
    private func unexpected(_ what: String, _ response: HTTPResponse) -> any Error {
        let error = failure(what, response)
        return Self.retryableStatuses.contains(response.status) ? Later(error: error, retryAfter: response.header("Retry-After")) : error
    }

    /// The bearer-token flow: GET the realm with service and scope (basic auth when we have credentials).
    private func token(_ challenge: String) async throws -> String {
        let fields = Self.challengeFields(challenge)
        guard let realm = fields["realm"], var url = RequestURL(realm) else {
            throw refused("sent a bearer challenge without a usable realm: \(challenge)")
        }
        var query: [String] = []
        if let service = fields["service"] { query.append("service=" + service.percentEncoded()) }
        query.append("scope=" + "repository:\(repository):pull,push".percentEncoded())
        url.target += (url.target.contains("?") ? "&" : "?") + query.joined(separator: "&")
        var headers: [(String, String)] = []
        if let credentials {
            headers.append(("Authorization", "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()))
        }
        let response = try await retrying {
            let response = try await exchange(.GET, url, headers: headers, authorized: false)
            guard response.status == 200 else {
                if response.status == 401 || response.status == 403 {
                    throw refused(
                        "token service \(url.hostHeader) refused the credentials for user '\(credentials?.username ?? "")' (\(response.status))")
                }
                throw unexpected("GET token from \(url.hostHeader)", response)
            }
            return response
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
